"""The fake API's 21 operations: request checks and handlers over the ``Store``, and the route table."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Final

from aiohttp import web

from . import _validate as check
from ._app import BODY, MAX_BODY_BYTES, RESPONSE_HEADERS, UNMATCHED, Api, Handler, HttpProblem, Json, bad_request
from ._stats import call_duration, status_distribution, tag_distribution, team_stats
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
    """The workspaces a list covers: the key's scope, narrowed by ``workspaceIds`` when it is sent.

    The filter is a comma-separated string that narrows and never widens: ids outside the scope, and empty
    entries, select nothing (so an empty value selects no workspace), as any string is a valid value.
    """
    raw = request.query.get("workspaceIds")
    if raw is None:
        return set(api.store.scope)
    return {w for w in raw.split(",") if w} & api.store.scope


def _object(request: web.Request) -> dict[str, Any]:
    body = request[BODY]
    if not isinstance(body, dict):
        raise bad_request("body must be a JSON object")
    return body


# The contact fields of the API reference, each with its check; a property it does not list is ignored (dropped,
# not stored), as its request schemas allow other properties and a NestJS whitelist strips them.
_CONTACT_FIELDS: Final[dict[str, Callable[[str, Any], Any]]] = {
    "firstName": lambda name, value: check.text(name, value, min_length=1, max_length=100),
    "lastName": lambda name, value: check.text(name, value, min_length=1, max_length=100),
    "phoneNumbers": check.texts,
    "email": check.text,
    "company": lambda name, value: check.text(name, value, max_length=200),
    "city": lambda name, value: check.text(name, value, max_length=200),
    "country": check.text,
    "url": check.text,
    "linkedinUrl": check.text,
    "linkedinSalesUrl": check.text,
    "role": check.text,
    "allowPhoneCalls": check.boolean,
    "customFields": check.text_map,
}
_CONTACT_REQUIRED: Final = ("firstName", "lastName", "phoneNumbers")


def _contact_fields(body: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    """The documented fields of a create (``partial=False``: the required ones present) or update body, checked."""
    if not partial:
        for name in _CONTACT_REQUIRED:
            if name not in body:
                raise bad_request(f"{name} is required")
    return {name: checker(name, body[name]) for name, checker in _CONTACT_FIELDS.items() if name in body}


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
    fields = _contact_fields(_object(request), partial=False)
    contact = api.store.contact_json(fields, workspace=DEFAULT_WORKSPACE, created=datetime.now(UTC))
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
    contact.update(_contact_fields(_object(request), partial=True))
    contact["updatedAt"] = _now()
    contact["lastModificationSource"] = "API"
    return 200, contact


async def create_sequence(api: Api, request: web.Request) -> tuple[int, Json]:
    body = _object(request)
    name, creator = check.optional(body, "name"), check.optional(body, "creatorId")
    assignees = check.optional(body, "assignedToIds")
    workspace = check.optional(body, "workspaceId")
    workspace = check.text("workspaceId", workspace) if check.given(workspace) else DEFAULT_WORKSPACE
    if not api.store.visible(workspace):
        raise bad_request("workspaceId is outside the API key scope")
    members = {u["organizationMembershipId"] for u in api.store.users}
    ids = check.texts("assignedToIds", assignees) if check.given(assignees) else []
    if check.given(creator):
        ids = [*ids, check.text("creatorId", creator)]
    for member in ids:
        if member not in members:
            raise bad_request(f"unknown organizationMembershipId {member}")
    seq_id = api.store.new_id()
    sequence: dict[str, Any] = {"id": seq_id}
    if check.given(name):  # the reference types name as a string, never null: a sequence without one has none
        sequence["name"] = check.text("name", name)
    sequence["workspaceId"] = workspace
    sequence["assignedToIds"] = assignees if check.given(assignees) else []
    if check.given(creator):
        sequence["creatorId"] = creator
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
        if not isinstance(item, dict) or "contactId" not in item:
            raise bad_request("each contacts item must be an object with a contactId")
        contact_id = check.text("contacts[].contactId", item["contactId"])
        assignee = check.optional(item, "assignedToWorkspaceMembershipId")
        if check.given(assignee):
            check.text("contacts[].assignedToWorkspaceMembershipId", assignee)
        contact = api.store.contacts.get(contact_id)
        if contact is None or contact["teamId"] != api.store.sequence_workspace[seq_id]:
            continue  # out of scope: ignored silently, as documented
        added += api.store.add_sequence_contact(seq_id, contact["id"], assignee if check.given(assignee) else None)
    return 201, {"added": added}


async def remove_sequence_contacts(api: Api, request: web.Request) -> tuple[int, Json]:
    rows = api.store.sequence_contacts[_sequence(api, request)]
    removed = 0
    for contact_id in check.texts("contactIds", _batch(request, "contactIds")):
        row = rows.get(contact_id)
        if row is not None and not row.get("_deleted"):
            row["_deleted"] = True
            removed += 1
    return 200, {"removed": removed}


async def create_tag(api: Api, request: web.Request) -> tuple[int, Json]:
    body = _object(request)
    if "label" not in body:
        raise bad_request("label is required")
    label = check.text("label", body["label"])  # the reference sets no minimum length
    success = check.boolean("isSuccessTag", body["isSuccessTag"]) if "isSuccessTag" in body else False
    return 201, api.store.add_tag(DEFAULT_WORKSPACE, label, success)


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


async def list_users(api: Api, request: web.Request) -> tuple[int, Json]:
    """Users who are a member of at least one of the workspaces asked for."""
    workspaces = _workspace_filter(api, request)
    reach = {m["organizationMembershipId"] for ws in workspaces for m in api.store.members[ws]}
    return 200, _paginate([u for u in api.store.users if u["organizationMembershipId"] in reach], request)


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
# An id is any one path segment: aiohttp's default ``{id}`` also refuses ``{`` and ``}``, which would leave such an
# id to aiohttp's plain-text 404, outside the API's error body and rate-limit headers.
_SEGMENT: Final = "[^/]+"
_PATTERNS: Final = tuple((method, re.compile(path.replace("{id}", _SEGMENT) + "$")) for method, path, _, _ in ROUTES)


async def unmatched(api: Api, request: web.Request) -> tuple[int, Json]:
    """A path no operation serves (404), or a method its path does not take (405, with ``Allow``)."""
    path = request.raw_path.split("?")[0]
    allowed = sorted({method for method, pattern in _PATTERNS if pattern.match(path)})
    if allowed:
        request[RESPONSE_HEADERS]["Allow"] = ", ".join(allowed)
        raise HttpProblem(405, "METHOD_NOT_ALLOWED", f"{request.method} is not allowed on {path}")
    raise _not_found(f"Route {request.method} {path}")


def build_app(api: Api) -> web.Application:
    """The aiohttp application serving every route of ``ROUTES`` from ``api``, and the API's errors elsewhere."""
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    for method, path, route, handler in ROUTES:

        async def endpoint(request: web.Request, route: str = route, handler: Handler = handler) -> web.StreamResponse:
            return await api.dispatch(request, route, handler, public=route in PUBLIC_ROUTES)

        app.router.add_route(method, path.replace("{id}", "{id:" + _SEGMENT + "}"), endpoint)

    async def fallback(request: web.Request) -> web.StreamResponse:
        # No operation, so no key needed (the API's router answers before its guards), but still counted.
        return await api.dispatch(request, UNMATCHED, unmatched, public=True)

    app.router.add_route("*", "/{tail:.*}", fallback)
    return app
