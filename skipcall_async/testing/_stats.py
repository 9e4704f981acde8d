"""The fake API's statistics: filters checked as the API reference types them, counts bucketed in time.

A ``granularity`` other than ``none`` groups calls by the start of their hour, day, ISO week (Monday) or month,
and each item carries that start as ``date``; without one there is a single bucket and no ``date`` (the reference
types it as a string, never null). Tag counts come from sequence contacts, which carry no time, so the tag
distribution is never bucketed.

``startDate`` and ``endDate`` narrow every statistic to a period, both ends included: a date covers its whole day
(UTC), a date-time is an instant (UTC when it has no offset), as the SDK sends them. Anything else, or an end
before the start, is a 400 naming the parameter. Calls count by when they started; a tag counts by when its
contact was last called, the call after which it was tagged (a contact never called has no tag in a period).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from aiohttp import web

from . import _validate as check
from ._app import RESPONSE_HEADERS, Api, Json, bad_request
from ._store import iso

GRANULARITIES: Final = ("hour", "day", "week", "month", "none")
CALL_TYPES: Final = ("all", "sequence", "direct", "inbound", "outbound")
_WINDOW: Final[dict[str, Callable[[datetime], datetime]]] = {
    "hour": lambda t: t.replace(minute=0, second=0, microsecond=0),
    "day": lambda t: t.replace(hour=0, minute=0, second=0, microsecond=0),
    "week": lambda t: (t - timedelta(days=t.weekday())).replace(hour=0, minute=0, second=0, microsecond=0),
    "month": lambda t: t.replace(day=1, hour=0, minute=0, second=0, microsecond=0),
}


def _filters(api: Api, request: web.Request, *, call_type: bool) -> tuple[set[str], str | None]:
    """(the workspaces a stats request covers, its call type), after checking its filters.

    The workspaces are the one named, else the key's scope. ``teamId`` is the deprecated name of
    ``workspaceId``: it still filters, and the answer says ``Deprecation: true``, as documented. ``callType`` is
    checked only where the operation documents it.
    """
    query = request.query
    if "teamId" in query:
        request[RESPONSE_HEADERS]["Deprecation"] = "true"
    name = "workspaceId" if "workspaceId" in query else "teamId"
    workspace = query.get(name)
    if workspace is not None and not api.store.visible(workspace):
        raise bad_request(f"{name} is outside the API key scope")
    check.one_of("granularity", query.get("granularity"), GRANULARITIES)
    kind = check.one_of("callType", query.get("callType"), CALL_TYPES) if call_type else None
    return ({workspace} if workspace else set(api.store.scope)), kind


Period = Callable[[str | None], bool]
"""Whether a timestamp of the store (None: it has none) lies within a request's period."""


def _period(request: web.Request) -> Period | None:
    """The period of ``startDate`` and ``endDate``, both ends included; None without either."""
    start = _moment(request, "startDate", end=False)
    end = _moment(request, "endDate", end=True)
    if start is None and end is None:
        return None
    if start is not None and end is not None and end < start:
        raise bad_request("endDate must not be before startDate")

    def within(stamp: str | None) -> bool:
        if stamp is None:
            return False
        moment = datetime.fromisoformat(stamp)
        return (start is None or start <= moment) and (end is None or moment <= end)

    return within


def _moment(request: web.Request, name: str, *, end: bool) -> datetime | None:
    """A query date as an instant: a day starts at 00:00 UTC and (as an end) runs to its last microsecond."""
    text = request.query.get(name)
    if text is None:
        return None
    try:
        day = date.fromisoformat(text) if len(text) == 10 else None
        if day is not None:
            midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return midnight + timedelta(days=1, microseconds=-1) if end else midnight
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise bad_request(f"{name} must be an ISO 8601 date or date-time, not {text!r}") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _calls(api: Api, request: web.Request, *, call_type: bool) -> list[dict[str, Any]]:
    """The calls a stats request covers, after checking its filters."""
    workspaces, kind = _filters(api, request, call_type=call_type)
    calls = api.store.in_scope("calls", within=workspaces)
    within = _period(request)
    if within is not None:
        calls = [c for c in calls if within(c["startedAt"])]
    if kind in ("inbound", "outbound"):
        calls = [c for c in calls if c["type"] == kind]
    elif kind in ("sequence", "direct"):
        calls = [c for c in calls if (c["callType"] == "CALL_SESSION") == (kind == "sequence")]
    return calls


def _buckets(request: web.Request, calls: list[dict[str, Any]]) -> dict[str | None, list[dict[str, Any]]]:
    """The calls by the start of their time bucket (one ``None`` bucket without a granularity), in time order."""
    window = _WINDOW.get(request.query.get("granularity", "none"))
    if window is None:
        return {None: calls}
    buckets: dict[str | None, list[dict[str, Any]]] = {}
    for call in sorted(calls, key=lambda c: c["startedAt"]):
        start = iso(window(datetime.fromisoformat(call["startedAt"])))
        buckets.setdefault(start, []).append(call)
    return buckets


def _dated(item: dict[str, Any], start: str | None) -> dict[str, Any]:
    return item if start is None else {**item, "date": start}


async def tag_distribution(api: Api, request: web.Request) -> tuple[int, Json]:
    """Tags of the sequence contacts in the workspaces covered (and of ``sequenceId`` when given); removed
    contacts are not counted."""
    workspaces, _ = _filters(api, request, call_type=True)
    within = _period(request)
    tagged_at = _last_calls(api) if within is not None else {}
    sequence = request.query.get("sequenceId")
    counts: dict[str, int] = {}
    for seq_id, rows in api.store.sequence_contacts.items():
        if api.store.sequence_workspace[seq_id] not in workspaces or sequence not in (None, seq_id):
            continue
        for row in rows.values():
            if row.get("_deleted") or (within is not None and not within(tagged_at.get(row["contactId"]))):
                continue
            for tag in row["tags"]:
                counts[tag["id"]] = counts.get(tag["id"], 0) + 1
    data = [
        {
            "tagId": t_id,
            "label": api.store.tags[t_id]["label"],
            "count": n,
            "isSuccess": api.store.tags[t_id]["isSuccessTag"],
        }
        for t_id, n in sorted(counts.items())
        if t_id in api.store.tags
    ]
    return 200, {"data": data}


def _last_calls(api: Api) -> dict[str, str]:
    """When each contact was last called: contact id -> the latest ``startedAt`` of its calls."""
    last: dict[str, tuple[datetime, str]] = {}
    for call in api.store.calls.values():
        contact, started = call["contact"], call["startedAt"]
        if contact and started:
            moment = datetime.fromisoformat(started)
            if contact["id"] not in last or moment > last[contact["id"]][0]:
                last[contact["id"]] = (moment, started)
    return {contact_id: started for contact_id, (_, started) in last.items()}


async def status_distribution(api: Api, request: web.Request) -> tuple[int, Json]:
    calls = _calls(api, request, call_type=False)
    data = []
    for start, bucket in _buckets(request, calls).items():
        counts: dict[str, int] = {}
        for call in bucket:
            counts[call["status"].upper()] = counts.get(call["status"].upper(), 0) + 1
        data += [_dated({"status": s, "count": n}, start) for s, n in sorted(counts.items())]
    called = {c["contact"]["id"] for c in calls if c["contact"]}
    never = sum(1 for c in api.store.in_scope("contacts") if c["id"] not in called)
    return 200, {"data": data, "nonCalledCount": never}


async def call_duration(api: Api, request: web.Request) -> tuple[int, Json]:
    data = []
    for start, bucket in _buckets(request, _calls(api, request, call_type=True)).items():
        durations = [api.store.recordings[c["id"]]["duration"] for c in bucket if c["id"] in api.store.recordings]
        total = sum(durations)
        average = total / len(durations) if durations else 0
        data.append(_dated({"count": len(durations), "averageDuration": average, "totalDuration": total}, start))
    return 200, {"data": data}


async def team_stats(api: Api, request: web.Request) -> tuple[int, Json]:
    if request.query.get("period") not in ("day", "week", "month", "custom"):
        raise bad_request("period must be one of day, week, month, custom")
    within = _period(request)
    teams = []
    for ws in api.store.in_scope("workspaces"):
        calls = api.store.in_scope("calls", within={ws["id"]})
        if within is not None:
            calls = [c for c in calls if within(c["startedAt"])]
        teams.append(
            {
                "teamId": ws["id"],
                "teamName": ws["name"],
                "calls": len(calls),
                "callDuration": sum(
                    api.store.recordings[c["id"]]["duration"] for c in calls if c["id"] in api.store.recordings
                ),
                "contacts": len(api.store.in_scope("contacts", within={ws["id"]})),
                "activeSequences": sum(1 for w in api.store.sequence_workspace.values() if w == ws["id"]),
                "members": len(api.store.members[ws["id"]]),
            }
        )
    aggregate = {
        "totalCalls": sum(t["calls"] for t in teams),
        "totalCallDuration": sum(t["callDuration"] for t in teams),
        "totalContacts": sum(t["contacts"] for t in teams),
        "activeSequences": sum(t["activeSequences"] for t in teams),
    }
    return 200, {"aggregate": aggregate, "teams": teams}
