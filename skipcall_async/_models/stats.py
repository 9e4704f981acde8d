"""Statistics: tag and status distributions, call durations, per-team totals."""

from __future__ import annotations

import attrs

from ._base import Model


@attrs.frozen(kw_only=True)
class TagDistributionItem(Model):
    """Contacts carrying one tag, in one time bucket.

    Attributes:
        tag_id: The tag's id.
        label: The tag's label.
        count: Contacts carrying the tag.
        is_success: Whether the tag marks a successful outcome.
        date: Start of the time bucket, as the API wrote it (an ISO 8601 string in its examples; the API
            reference types it as a plain string); None without a `granularity`.
    """

    tag_id: str | None = None
    label: str | None = None
    count: int = 0
    is_success: bool | None = None
    date: str | None = None


@attrs.frozen(kw_only=True)
class TagDistribution(Model):
    """Distribution of contacts by post-call tag.

    Attributes:
        data: One item per tag and time bucket.
    """

    data: tuple[TagDistributionItem, ...] = ()


@attrs.frozen(kw_only=True)
class StatusDistributionItem(Model):
    """Calls with one status, in one time bucket.

    Attributes:
        status: The status, in upper case (such as `"NOT_INITIATED"`).
        count: Calls with that status.
        date: Start of the time bucket, as the API wrote it (an ISO 8601 string in its examples; the API
            reference types it as a plain string); None without a `granularity`.
    """

    status: str | None = None
    count: int = 0
    date: str | None = None


@attrs.frozen(kw_only=True)
class StatusDistribution(Model):
    """Distribution of calls by status, plus the number of contacts never called.

    Attributes:
        data: One item per status and time bucket.
        non_called_count: Contacts never called.
    """

    data: tuple[StatusDistributionItem, ...] = ()
    non_called_count: int | None = None


@attrs.frozen(kw_only=True)
class CallDurationBucket(Model):
    """Number of calls and their durations in one time bucket.

    Attributes:
        count: Calls in the bucket.
        average_duration: Mean call duration in seconds.
        total_duration: Sum of call durations in seconds.
        date: Start of the time bucket, as the API wrote it (an ISO 8601 string in its examples; the API
            reference types it as a plain string); None without a `granularity`.
    """

    count: int = 0
    average_duration: float | None = None
    total_duration: float | None = None
    date: str | None = None


@attrs.frozen(kw_only=True)
class CallDurationStats(Model):
    """Call count, average and total duration.

    Attributes:
        data: The counts and durations, one item per time bucket.
    """

    data: tuple[CallDurationBucket, ...] = ()


@attrs.frozen(kw_only=True)
class TeamStatsTotals(Model):
    """Totals over every team for the period."""

    total_calls: int | None = None
    total_call_duration: float | None = None
    total_contacts: int | None = None
    active_sequences: int | None = None


@attrs.frozen(kw_only=True)
class TeamStatsEntry(Model):
    """Totals of one team (the older name of a workspace) for the period."""

    team_id: str | None = None
    team_name: str | None = None
    calls: int | None = None
    call_duration: float | None = None
    contacts: int | None = None
    active_sequences: int | None = None
    members: int | None = None


@attrs.frozen(kw_only=True)
class TeamStats(Model):
    """Totals overall and per team.

    Attributes:
        aggregate: Totals over every team.
        teams: Totals of each team.
    """

    aggregate: TeamStatsTotals | None = None
    teams: tuple[TeamStatsEntry, ...] = ()
