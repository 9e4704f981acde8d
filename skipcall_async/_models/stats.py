"""Statistics: tag and status distributions, call durations, per-team totals."""

from __future__ import annotations

from datetime import datetime

import attrs

from ._base import Model


@attrs.frozen(kw_only=True)
class TagDistributionItem(Model):
    """Contacts carrying one tag, in one time bucket (``date`` is None without granularity)."""

    tag_id: str | None = None
    label: str | None = None
    count: int = 0
    is_success: bool | None = None
    date: datetime | None = None


@attrs.frozen(kw_only=True)
class TagDistribution(Model):
    """Distribution of contacts by post-call tag."""

    data: tuple[TagDistributionItem, ...] = ()


@attrs.frozen(kw_only=True)
class StatusDistributionItem(Model):
    """Calls with one status (upper-case vocabulary such as ``NOT_INITIATED``), in one time bucket."""

    status: str | None = None
    count: int = 0
    date: datetime | None = None


@attrs.frozen(kw_only=True)
class StatusDistribution(Model):
    """Distribution of calls by status, plus the number of contacts never called."""

    data: tuple[StatusDistributionItem, ...] = ()
    non_called_count: int | None = None


@attrs.frozen(kw_only=True)
class CallDurationBucket(Model):
    """Number of calls and their durations (seconds) in one time bucket."""

    count: int = 0
    average_duration: float | None = None
    total_duration: float | None = None
    date: datetime | None = None


@attrs.frozen(kw_only=True)
class CallDurationStats(Model):
    """Call count, average and total duration."""

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
    """Totals overall and per team."""

    aggregate: TeamStatsTotals | None = None
    teams: tuple[TeamStatsEntry, ...] = ()
