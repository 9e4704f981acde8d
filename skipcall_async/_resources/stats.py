"""Statistics: tag and status distributions, call durations, legacy per-team totals."""

from __future__ import annotations

import warnings
from typing import Final, get_args

from .._base_client import BaseClient
from .._errors import InvalidArgumentError
from .._models import CallDurationStats, StatusDistribution, TagDistribution, TeamStats
from .._routes import Route
from .._types import DateLike, Granularity, StatsCallType, TeamStatsPeriod
from .._urls import QueryValue
from ._arguments import choice, iso, optional_id

# The values checked at run time are the annotations' own, so the two cannot drift apart.
CALL_TYPES: Final[tuple[str, ...]] = get_args(StatsCallType)
GRANULARITIES: Final[tuple[str, ...]] = get_args(Granularity)
PERIODS: Final[tuple[str, ...]] = get_args(TeamStatsPeriod)
GET_TAG_DISTRIBUTION = Route("get_tag_distribution", "GET", "/v1/stats/tag-repartition")
GET_STATUS_DISTRIBUTION = Route("get_status_distribution", "GET", "/v1/stats/status-repartition")
# Inferred path: only the docs page slug of this operation was seen.
GET_CALL_DURATION_STATS = Route("get_call_duration_stats", "GET", "/v1/stats/call-duration")
GET_TEAM_STATS = Route("get_team_stats", "GET", "/v1/teams/stats")


def _filters(
    *,
    sequence_id: str | None,
    user_membership_id: str | None,
    granularity: str | None,
    start_date: DateLike | None,
    end_date: DateLike | None,
    workspace_id: str | None,
    team_id: str | None,
) -> dict[str, QueryValue]:
    if team_id is not None:
        warnings.warn("team_id is deprecated by the API; pass workspace_id", DeprecationWarning, stacklevel=3)
    return {
        "sequenceId": optional_id("sequence_id", sequence_id),
        "userMembershipId": optional_id("user_membership_id", user_membership_id),
        "granularity": choice("granularity", granularity, GRANULARITIES),
        "startDate": iso("start_date", start_date),
        "endDate": iso("end_date", end_date),
        "workspaceId": optional_id("workspace_id", workspace_id),
        "teamId": optional_id("team_id", team_id),
    }


class StatsMixin(BaseClient):
    async def get_tag_distribution(
        self,
        *,
        sequence_id: str | None = None,
        user_membership_id: str | None = None,
        call_type: StatsCallType | None = None,
        granularity: Granularity | None = None,
        start_date: DateLike | None = None,
        end_date: DateLike | None = None,
        workspace_id: str | None = None,
        team_id: str | None = None,
    ) -> TagDistribution:
        """How contacts are distributed over post-call tags, optionally bucketed in time.

        Args:
            sequence_id: Only calls of this sequence.
            user_membership_id: Only calls by this organisation membership.
            call_type: Only calls of this kind; one of [`StatsCallType`][skipcall_async.StatsCallType].
            granularity: Time buckets of the result; one of [`Granularity`][skipcall_async.Granularity].
            start_date: Start of the period: a date, a datetime (naive: UTC) or an ISO 8601 string.
            end_date: End of the period, like `start_date`.
            workspace_id: Only this workspace.
            team_id: Deprecated by the API in favour of `workspace_id`; passing it emits a `DeprecationWarning`.

        Returns:
            The count per tag (per time bucket with a `granularity`).

        Raises:
            InvalidArgumentError: A value outside the documented choices, a blank id, or a date text that is
                not an ISO 8601 date or date-time.
            InvalidArgumentTypeError: A date that is not a date, datetime or string.
            BadRequestError: The server refused a filter (a workspace outside the key's scope).
        """
        params = _filters(
            sequence_id=sequence_id,
            user_membership_id=user_membership_id,
            granularity=granularity,
            start_date=start_date,
            end_date=end_date,
            workspace_id=workspace_id,
            team_id=team_id,
        )
        params["callType"] = choice("call_type", call_type, CALL_TYPES)
        return await self._request_model(
            GET_TAG_DISTRIBUTION, GET_TAG_DISTRIBUTION.path(), TagDistribution, params=params
        )

    async def get_status_distribution(
        self,
        *,
        sequence_id: str | None = None,
        user_membership_id: str | None = None,
        granularity: Granularity | None = None,
        start_date: DateLike | None = None,
        end_date: DateLike | None = None,
        workspace_id: str | None = None,
        team_id: str | None = None,
    ) -> StatusDistribution:
        """How calls are distributed over statuses, plus the number of contacts never called.

        Args:
            sequence_id: Only calls of this sequence.
            user_membership_id: Only calls by this organisation membership.
            granularity: Time buckets of the result; one of [`Granularity`][skipcall_async.Granularity].
            start_date: Start of the period: a date, a datetime (naive: UTC) or an ISO 8601 string.
            end_date: End of the period, like `start_date`.
            workspace_id: Only this workspace.
            team_id: Deprecated by the API in favour of `workspace_id`; passing it emits a `DeprecationWarning`.

        Returns:
            The count per status (per time bucket with a `granularity`) and the contacts never called.

        Raises:
            InvalidArgumentError: A value outside the documented choices, a blank id, or a date text that is
                not an ISO 8601 date or date-time.
            InvalidArgumentTypeError: A date that is not a date, datetime or string.
            BadRequestError: The server refused a filter (a workspace outside the key's scope).
        """
        params = _filters(
            sequence_id=sequence_id,
            user_membership_id=user_membership_id,
            granularity=granularity,
            start_date=start_date,
            end_date=end_date,
            workspace_id=workspace_id,
            team_id=team_id,
        )
        return await self._request_model(
            GET_STATUS_DISTRIBUTION, GET_STATUS_DISTRIBUTION.path(), StatusDistribution, params=params
        )

    async def get_call_duration_stats(
        self,
        *,
        sequence_id: str | None = None,
        user_membership_id: str | None = None,
        call_type: StatsCallType | None = None,
        granularity: Granularity | None = None,
        start_date: DateLike | None = None,
        end_date: DateLike | None = None,
        workspace_id: str | None = None,
        team_id: str | None = None,
    ) -> CallDurationStats:
        """Call count, average and total duration, optionally bucketed in time.

        Args:
            sequence_id: Only calls of this sequence.
            user_membership_id: Only calls by this organisation membership.
            call_type: Only calls of this kind; one of [`StatsCallType`][skipcall_async.StatsCallType].
            granularity: Time buckets of the result; one of [`Granularity`][skipcall_async.Granularity].
            start_date: Start of the period: a date, a datetime (naive: UTC) or an ISO 8601 string.
            end_date: End of the period, like `start_date`.
            workspace_id: Only this workspace.
            team_id: Deprecated by the API in favour of `workspace_id`; passing it emits a `DeprecationWarning`.

        Returns:
            The count and durations (per time bucket with a `granularity`).

        Raises:
            InvalidArgumentError: A value outside the documented choices, a blank id, or a date text that is
                not an ISO 8601 date or date-time.
            InvalidArgumentTypeError: A date that is not a date, datetime or string.
            BadRequestError: The server refused a filter (a workspace outside the key's scope).
        """
        params = _filters(
            sequence_id=sequence_id,
            user_membership_id=user_membership_id,
            granularity=granularity,
            start_date=start_date,
            end_date=end_date,
            workspace_id=workspace_id,
            team_id=team_id,
        )
        params["callType"] = choice("call_type", call_type, CALL_TYPES)
        return await self._request_model(
            GET_CALL_DURATION_STATS, GET_CALL_DURATION_STATS.path(), CallDurationStats, params=params
        )

    async def get_team_stats(
        self,
        *,
        period: TeamStatsPeriod,
        start_date: DateLike | None = None,
        end_date: DateLike | None = None,
        team_id: str | None = None,
    ) -> TeamStats:
        """Totals overall and per team for a period (the older, team-named statistics endpoint).

        Args:
            period: One of [`TeamStatsPeriod`][skipcall_async.TeamStatsPeriod]; `"custom"` takes `start_date` and
                `end_date`.
            start_date: Start of a custom period: a date, a datetime (naive: UTC) or an ISO 8601 string.
            end_date: End of a custom period, like `start_date`.
            team_id: Only this team (workspace).

        Returns:
            The totals, overall and per team.

        Raises:
            InvalidArgumentError: `period` is missing or not one of the documented values, `team_id` is blank,
                or a date text is not an ISO 8601 date or date-time.
            InvalidArgumentTypeError: A date that is not a date, datetime or string.
        """
        if choice("period", period, PERIODS) is None:
            raise InvalidArgumentError("period is required: one of " + ", ".join(PERIODS), argument="period")
        params: dict[str, QueryValue] = {
            "period": period,
            "startDate": iso("start_date", start_date),
            "endDate": iso("end_date", end_date),
            "teamId": optional_id("team_id", team_id),
        }
        return await self._request_model(GET_TEAM_STATS, GET_TEAM_STATS.path(), TeamStats, params=params)
