"""The fake API's 21 operations: request checks and handlers over the ``Store``, and the route table."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from aiohttp import web

from ._app import BODY, Api, Handler, HttpProblem, Json, bad_request
from ._store import DEFAULT_WORKSPACE, iso


def _not_found(what: str) -> HttpProblem:
    return HttpProblem(404, "NOT_FOUND", f"{what} not found")


# -- request parsing helpers ------------------------------------------------------------------------------------


def _page(request: web.Request) -> tuple[int, int]:
    try:
        page = int(request.query.get("page", "0"))
        size = int(request.query.get("size", "10"))
    except ValueError as exc:
        raise bad_request("page and size must be integers") from exc
    if page < 0:
        raise bad_request("page must not be negative")
    if not 1 <= size <= 100:
        raise bad_request("size must be between 1 and 100")
    return page, size


def _paginate(items: list[Json], request: web.Request) -> Json:
    page, size = _page(request)
    total = len(items)
    return {
        "data": items[page * size : (page + 1) * size],
        "total": total,
        "page": page,
        "size": size,
        "totalPages": (total + size - 1) // size,
    }


def _workspace_filter(api: Api, request: web.Request) -> set[str]:
    raw = request.query.get("workspaceIds")
    if raw is None:
        return set(api.store.scope)
    wanted = {w for w in raw.split(",") if w}
    if not wanted:
        raise bad_request("workspaceIds must not be empty")
    return wanted & api.store.scope


def _object(request: web.Request) -> dict[str, Any]:
    body = request[BODY]
    if not isinstance(body, dict):
        raise bad_request("body must be a JSON object")
    return body


def _check_contact(body: dict[str, Any], *, partial: bool) -> None:
    for name in ("firstName", "lastName"):
        if name in body or not partial:
            value = body.get(name)
            if not isinstance(value, str) or not 1 <= len(value) <= 100:
                raise bad_request(f"{name} must be a string of 1 to 100 characters")
    if "phoneNumbers" in body or not partial:
        numbers = body.get("phoneNumbers")
        if not isinstance(numbers, list) or not all(isinstance(n, str) for n in numbers):
            raise bad_request("phoneNumbers must be an array of strings")
    for name in ("company", "city"):
        value = body.get(name)
        if value is not None and (not isinstance(value, str) or len(value) > 200):
            raise bad_request(f"{name} must be a string of at most 200 characters")
    known = {
        "firstName",
        "lastName",
        "phoneNumbers",
        "email",
        "company",
        "city",
        "country",
        "url",
        "linkedinUrl",
        "linkedinSalesUrl",
        "role",
        "allowPhoneCalls",
        "customFields",
    }
    unknown = set(body) - known
    if unknown:
        raise bad_request(f"property {sorted(unknown)[0]} should not exist")


def _now() -> str | None:
    return iso(datetime.now(UTC))


# -- handlers ---------------------------------------------------------------------------------------------------


async def health(api: Api, request: web.Request) -> tuple[int, Json]:
    """The liveness probe; it needs no key (see ``PUBLIC_ROUTES``)."""
    return 200, {"status": "ok"}


async def list_calls(api: Api, request: web.Request) -> tuple[int, Json]:
    calls = api.store.in_scope("calls", within=_workspace_filter(api, request))
    return 200, _paginate(calls, request)


def _scoped_id(api: Api, request: web.Request, workspace_of: Mapping[str, str], what: str) -> str:
    """The path's id if it exists in a workspace of the key's scope; 404 otherwise, as the API does."""
    item_id = request.match_info["id"]
    if not api.store.visible(workspace_of.get(item_id)):
        raise _not_found(what)
    return item_id


def _call(api: Api, request: web.Request) -> str:
    return _scoped_id(api, request, api.store.call_workspace, "Call")


async def get_call(api: Api, request: web.Request) -> tuple[int, Json]:
    return 200, api.store.calls[_call(api, request)]


async def get_recording(api: Api, request: web.Request) -> tuple[int, Json]:
    recording = api.store.recordings.get(_call(api, request))
    if recording is None:
        raise _not_found("Recording")
    return 200, recording


async def get_transcription(api: Api, request: web.Request) -> tuple[int, Json]:
    transcription = api.store.transcriptions.get(_call(api, request))
    if transcription is None:
        raise _not_found("Transcription")
    return 200, transcription


async def create_contact(api: Api, request: web.Request) -> tuple[int, Json]:
    body = _object(request)
    _check_contact(body, partial=False)
    contact = api.store.contact_json(body, workspace=DEFAULT_WORKSPACE, created=datetime.now(UTC))
    api.store.contacts[contact["id"]] = contact
    return 201, contact


def _contact(api: Api, request: web.Request) -> dict[str, Any]:
    contact = api.store.contacts.get(request.match_info["id"])
    if contact is None or not api.store.visible(contact["teamId"]):
        raise _not_found("Contact")
    return contact


async def get_contact(api: Api, request: web.Request) -> tuple[int, Json]:
    return 200, _contact(api, request)


async def update_contact(api: Api, request: web.Request) -> tuple[int, Json]:
    contact = _contact(api, request)
    body = _object(request)
    _check_contact(body, partial=True)
    contact.update(body)
    contact["updatedAt"] = _now()
    contact["lastModificationSource"] = "API"
    return 200, contact


async def create_sequence(api: Api, request: web.Request) -> tuple[int, Json]:
    body = _object(request)
    workspace = body.get("workspaceId", DEFAULT_WORKSPACE)
    if not api.store.visible(workspace):
        raise bad_request("workspaceId is outside the API key scope")
    members = {u["organizationMembershipId"] for u in api.store.users}
    for member in [*body.get("assignedToIds", []), *([body["creatorId"]] if "creatorId" in body else [])]:
        if member not in members:
            raise bad_request(f"unknown organizationMembershipId {member}")
    seq_id = api.store.new_id()
    sequence = {
        "id": seq_id,
        "name": body.get("name"),
        "workspaceId": workspace,
        "assignedToIds": body.get("assignedToIds", []),
        "creatorId": body.get("creatorId"),
    }
    api.store.sequences[seq_id] = sequence
    api.store.sequence_workspace[seq_id] = workspace
    api.store.sequence_contacts[seq_id] = {}
    return 201, sequence


def _sequence(api: Api, request: web.Request) -> str:
    return _scoped_id(api, request, api.store.sequence_workspace, "Sequence")


async def list_sequence_contacts(api: Api, request: web.Request) -> tuple[int, Json]:
    rows = [r for r in api.store.sequence_contacts[_sequence(api, request)].values() if not r.get("_deleted")]
    if "tag" in request.query:
        rows = [r for r in rows if any(t["label"] == request.query["tag"] for t in r["tags"])]
    if "status" in request.query:
        rows = [r for r in rows if r["status"] == request.query["status"]]
    return 200, _paginate(rows, request)


def _batch(request: web.Request, key: str) -> list[Any]:
    items = _object(request).get(key)
    if not isinstance(items, list) or not 1 <= len(items) <= 100:
        raise bad_request(f"{key} must be an array of 1 to 100 items")
    return items


async def add_sequence_contacts(api: Api, request: web.Request) -> tuple[int, Json]:
    seq_id = _sequence(api, request)
    added = 0
    for item in _batch(request, "contacts"):
        if not isinstance(item, dict) or not isinstance(item.get("contactId"), str):
            raise bad_request("each contacts item needs a contactId")
        contact = api.store.contacts.get(item["contactId"])
        if contact is None or contact["teamId"] != api.store.sequence_workspace[seq_id]:
            continue  # out of scope: ignored silently, as documented
        added += api.store.add_sequence_contact(seq_id, contact["id"], item.get("assignedToWorkspaceMembershipId"))
    return 201, {"added": added}


async def remove_sequence_contacts(api: Api, request: web.Request) -> tuple[int, Json]:
    rows = api.store.sequence_contacts[_sequence(api, request)]
    removed = 0
    for contact_id in _batch(request, "contactIds"):
        row = rows.get(contact_id) if isinstance(contact_id, str) else None
        if row is not None and not row.get("_deleted"):
            row["_deleted"] = True
            removed += 1
    return 200, {"removed": removed}


async def create_tag(api: Api, request: web.Request) -> tuple[int, Json]:
    body = _object(request)
    label = body.get("label")
    if not isinstance(label, str) or not label.strip():
        raise bad_request("label must be a non-empty string")
    return 201, api.store.add_tag(DEFAULT_WORKSPACE, label, bool(body.get("isSuccessTag", False)))


async def delete_tag(api: Api, request: web.Request) -> tuple[int, Json]:
    tag_id = _scoped_id(api, request, api.store.tag_workspace, "Tag")
    workspace = api.store.tag_workspace[tag_id]
    tag = api.store.tags[tag_id]
    successes = [
        t for t_id, t in api.store.tags.items() if api.store.tag_workspace[t_id] == workspace and t["isSuccessTag"]
    ]
    if tag["isSuccessTag"] and len(successes) == 1:
        raise bad_request("the last success tag of a workspace cannot be deleted")
    del api.store.tags[tag_id], api.store.tag_workspace[tag_id]
    return 200, None


def _stats_workspaces(api: Api, request: web.Request) -> set[str]:
    """The workspaces a statistic covers: the one named (``workspaceId``, or the deprecated ``teamId``), else the
    key's scope; the filters are checked."""
    workspace = request.query.get("workspaceId") or request.query.get("teamId")
    if workspace is not None and not api.store.visible(workspace):
        raise bad_request("workspaceId is outside the API key scope")
    granularity = request.query.get("granularity", "none")
    if granularity not in ("hour", "day", "week", "month", "none"):
        raise bad_request("granularity must be one of hour, day, week, month, none")
    return {workspace} if workspace else set(api.store.scope)


def _stats_calls(api: Api, request: web.Request) -> list[dict[str, Any]]:
    return api.store.in_scope("calls", within=_stats_workspaces(api, request))


async def tag_distribution(api: Api, request: web.Request) -> tuple[int, Json]:
    """Tags of the sequence contacts in the workspaces covered (and of ``sequenceId`` when given); removed
    contacts are not counted."""
    workspaces = _stats_workspaces(api, request)
    sequence = request.query.get("sequenceId")
    counts: dict[str, int] = {}
    for seq_id, rows in api.store.sequence_contacts.items():
        if api.store.sequence_workspace[seq_id] not in workspaces or sequence not in (None, seq_id):
            continue
        for row in rows.values():
            if row.get("_deleted"):
                continue
            for tag in row["tags"]:
                counts[tag["id"]] = counts.get(tag["id"], 0) + 1
    data = [
        {
            "tagId": t_id,
            "label": api.store.tags[t_id]["label"],
            "count": n,
            "isSuccess": api.store.tags[t_id]["isSuccessTag"],
            "date": None,
        }
        for t_id, n in sorted(counts.items())
        if t_id in api.store.tags
    ]
    return 200, {"data": data}


async def status_distribution(api: Api, request: web.Request) -> tuple[int, Json]:
    calls = _stats_calls(api, request)
    counts: dict[str, int] = {}
    for call in calls:
        counts[call["status"].upper()] = counts.get(call["status"].upper(), 0) + 1
    called = {c["contact"]["id"] for c in calls if c["contact"]}
    never = sum(1 for c in api.store.in_scope("contacts") if c["id"] not in called)
    return 200, {
        "data": [{"status": s, "count": n, "date": None} for s, n in sorted(counts.items())],
        "nonCalledCount": never,
    }


async def call_duration(api: Api, request: web.Request) -> tuple[int, Json]:
    durations = [
        api.store.recordings[c["id"]]["duration"] for c in _stats_calls(api, request) if c["id"] in api.store.recordings
    ]
    total = sum(durations)
    return 200, {
        "data": [
            {
                "count": len(durations),
                "averageDuration": total / len(durations) if durations else 0,
                "totalDuration": total,
                "date": None,
            }
        ]
    }


async def team_stats(api: Api, request: web.Request) -> tuple[int, Json]:
    if request.query.get("period") not in ("day", "week", "month", "custom"):
        raise bad_request("period must be one of day, week, month, custom")
    teams = []
    for ws in api.store.in_scope("workspaces"):
        calls = api.store.in_scope("calls", within={ws["id"]})
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


async def list_users(api: Api, request: web.Request) -> tuple[int, Json]:
    _workspace_filter(api, request)
    return 200, _paginate(list(api.store.users), request)


async def list_workspaces(api: Api, request: web.Request) -> tuple[int, Json]:
    return 200, api.store.in_scope("workspaces")


async def list_members(api: Api, request: web.Request) -> tuple[int, Json]:
    workspace = _scoped_id(api, request, {ws: ws for ws in api.store.members}, "Workspace")
    return 200, _paginate(api.store.members[workspace], request)


# Routes the API reference marks ``security: []``: answered without a key, rate-limited by client address.
PUBLIC_ROUTES: Final = frozenset({"health"})

ROUTES: tuple[tuple[str, str, str, Handler], ...] = (
    ("GET", "/v1/health", "health", health),
    ("GET", "/v1/calls", "list_calls", list_calls),
    ("GET", "/v1/calls/{id}", "get_call", get_call),
    ("GET", "/v1/calls/{id}/recording", "get_call_recording", get_recording),
    ("GET", "/v1/calls/{id}/transcription", "get_call_transcription", get_transcription),
    ("POST", "/v1/contacts", "create_contact", create_contact),
    ("GET", "/v1/contacts/{id}", "get_contact", get_contact),
    ("PATCH", "/v1/contacts/{id}", "update_contact", update_contact),
    ("POST", "/v1/sequences", "create_sequence", create_sequence),
    ("GET", "/v1/sequences/{id}/contacts", "list_sequence_contacts", list_sequence_contacts),
    ("POST", "/v1/sequences/{id}/contacts", "add_sequence_contacts", add_sequence_contacts),
    ("DELETE", "/v1/sequences/{id}/contacts", "remove_sequence_contacts", remove_sequence_contacts),
    ("GET", "/v1/stats/tag-repartition", "get_tag_distribution", tag_distribution),
    ("GET", "/v1/stats/status-repartition", "get_status_distribution", status_distribution),
    ("GET", "/v1/stats/call-duration", "get_call_duration_stats", call_duration),
    ("POST", "/v1/tags", "create_tag", create_tag),
    ("DELETE", "/v1/tags/{id}", "delete_tag", delete_tag),
    ("GET", "/v1/teams/stats", "get_team_stats", team_stats),
    ("GET", "/v1/users", "list_users", list_users),
    ("GET", "/v1/workspaces", "list_workspaces", list_workspaces),
    ("GET", "/v1/workspaces/{id}/members", "list_workspace_members", list_members),
)


ROUTE_NAMES: Final = tuple(route for _, _, route, _ in ROUTES)


def build_app(api: Api) -> web.Application:
    """The aiohttp application serving every route of ``ROUTES`` from ``api``."""
    app = web.Application()
    for method, path, route, handler in ROUTES:

        async def endpoint(request: web.Request, route: str = route, handler: Handler = handler) -> web.StreamResponse:
            return await api.dispatch(request, route, handler, public=route in PUBLIC_ROUTES)

        app.router.add_route(method, path, endpoint)
    return app
