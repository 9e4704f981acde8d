"""The fake server's in-memory data: a deterministic seeded data set, stored as the API's JSON shapes."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Collection, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal

FIRST_NAMES = ("John", "Alice", "Chloé", "Karim", "Mei", "Lucas", "Sofia", "Noah", "Emma", "Hugo", "Léa", "Omar")
LAST_NAMES = ("Doe", "Martin", "Bernard", "Dubois", "Nguyen", "Moreau", "Garcia", "Laurent", "Rossi", "Silva")
COMPANIES = ("Acme Inc.", "Globex", "Initech", "Umbrella", "Hooli", None)
CALL_STATUSES = ("completed", "no-answer", "busy", "failed", "voicemail")
TAG_LABELS = (("Lead", True), ("Meeting booked", True), ("Not interested", False), ("Call back", False))
EPOCH = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
# The ids of the API reference's examples exist in the fake data, in scope, so documented snippets run as written.
EXAMPLE_CALL_ID = "123e4567-e89b-12d3-a456-426614174000"
EXAMPLE_CONTACT_ID = "550e8400-e29b-41d4-a716-446655440000"
# Where a write lands when the request names no workspace: the first seeded one, in every key's scope.
DEFAULT_WORKSPACE: Final = "ws-1"

ScopedKind = Literal["calls", "contacts", "workspaces"]


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Store:
    """Everything the fake server knows; writes persist for the server's life.

    Workspaces ``ws-1`` and ``ws-2`` are in every configured key's scope; ``ws-3`` is not (its resources
    answer 404, as the API does for resources outside a key's scope).
    """

    def __init__(self, *, seed: int = 7, calls: int = 500, contacts: int = 200) -> None:
        self._rng = random.Random(seed)
        self._uuid_rng = random.Random(seed + 1)
        self.workspaces = [{"id": f"ws-{i}", "name": name} for i, name in enumerate(("Sales", "Support", "Other"), 1)]
        self.scope = {"ws-1", "ws-2"}
        self.users = [self._user(i) for i in range(6)]
        self.members: dict[str, list[dict[str, Any]]] = {
            ws["id"]: [self._member(ws["id"], user, i) for i, user in enumerate(self.users)] for ws in self.workspaces
        }
        self.tags: dict[str, dict[str, Any]] = {}
        self.tag_workspace: dict[str, str] = {}
        for ws in self.workspaces:
            for label, success in TAG_LABELS:
                self.add_tag(ws["id"], label, success)
        self.contacts: dict[str, dict[str, Any]] = {}
        for i in range(contacts):
            self._seed_contact(i)
        self.calls: dict[str, dict[str, Any]] = {}
        self.call_workspace: dict[str, str] = {}
        self.recordings: dict[str, dict[str, Any]] = {}
        self.transcriptions: dict[str, dict[str, Any]] = {}
        for i in range(calls):
            self._seed_call(i)
        self.sequences: dict[str, dict[str, Any]] = {}
        self.sequence_workspace: dict[str, str] = {}
        self.sequence_contacts: dict[str, dict[str, dict[str, Any]]] = {}
        for i, ws in enumerate(self.workspaces):
            self._seed_sequence(i, ws["id"])

    # -- ids and seeding ---------------------------------------------------------------------------------------

    def new_id(self) -> str:
        return str(uuid.UUID(int=self._uuid_rng.getrandbits(128), version=4))

    def _user(self, i: int) -> dict[str, Any]:
        first, last = FIRST_NAMES[i % len(FIRST_NAMES)], LAST_NAMES[i % len(LAST_NAMES)]
        return {
            "organizationMembershipId": f"om-{i + 1}",
            "firstName": first,
            "lastName": last,
            "email": f"{first.lower()}.{last.lower()}@example.com",
        }

    def _member(self, ws_id: str, user: dict[str, Any], i: int) -> dict[str, Any]:
        status = "ACTIVE" if i % 5 else "DISABLED"
        return {"id": f"wm-{ws_id[3:]}-{i + 1}", "status": status, **user}

    def add_tag(self, ws_id: str, label: str, success: bool) -> dict[str, Any]:
        now, tag_id = iso(EPOCH), self.new_id()
        tag = {"id": tag_id, "label": label, "isSuccessTag": success, "createdAt": now, "updatedAt": now}
        self.tags[tag_id] = tag
        self.tag_workspace[tag_id] = ws_id
        return tag

    def _seed_contact(self, i: int) -> None:
        rng = self._rng
        ws = self.workspaces[i % 3]["id"]
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        created = EPOCH - timedelta(days=rng.randint(1, 300))
        contact = self.contact_json(
            {
                "firstName": first,
                "lastName": last,
                "phoneNumbers": [f"+336{rng.randint(10_000_000, 99_999_999)}"],
                "email": f"{first.lower()}.{last.lower()}{i}@example.com",
                "company": rng.choice(COMPANIES),
                "city": rng.choice(("Paris", "Lyon", None)),
                "customFields": {"Industry": "Technology"},
            },
            workspace=ws,
            created=created,
        )
        contact["lastModificationSource"] = rng.choice(("SKIPCALL", "API", "HUBSPOT", "PIPEDRIVE"))
        if i == 0:
            contact["id"] = EXAMPLE_CONTACT_ID
        self.contacts[contact["id"]] = contact

    def contact_json(self, fields: dict[str, Any], *, workspace: str, created: datetime) -> dict[str, Any]:
        base: dict[str, Any] = {
            "id": self.new_id(),
            "firstName": None,
            "lastName": None,
            "allowPhoneCalls": True,
            "callCount": 0,
            "teamId": workspace,
            "phoneNumbers": [],
            "customFields": {},
            "createdAt": iso(created),
            "updatedAt": iso(created),
            "lastModificationSource": "API",
            "email": None,
            "company": None,
            "city": None,
            "country": None,
            "url": None,
            "linkedinUrl": None,
            "linkedinSalesUrl": None,
            "role": None,
            "lastCallAt": None,
        }
        base.update(fields)
        return base

    def _seed_call(self, i: int) -> None:
        rng = self._rng
        contact = rng.choice(list(self.contacts.values()))
        user = rng.choice(self.users)
        started = EPOCH + timedelta(minutes=7 * i, seconds=rng.randint(0, 59))
        answered = rng.random() < 0.7
        call_id = self.new_id()
        if i == 0:  # the documented example call: answered, transcribed, with a known contact
            contact, answered, call_id = self.contacts[EXAMPLE_CONTACT_ID], True, EXAMPLE_CALL_ID
        duration = rng.randint(20, 900) if answered else 0
        self.calls[call_id] = {
            "id": call_id,
            "callType": rng.choice(("CALL_SESSION", "DIRECT_CALL")),
            "phoneNumberId": self.new_id(),
            "userProviderSid": f"CA{rng.getrandbits(40):x}",
            "adminProviderSid": None if i % 4 else f"CA{i:09d}",
            "providerConferenceId": f"CF{rng.getrandbits(40):x}",
            "status": rng.choice(CALL_STATUSES),
            "type": rng.choice(("outbound", "inbound")),
            "transferred": rng.random() < 0.05,
            "startedAt": iso(started),
            "endedAt": iso(started + timedelta(seconds=duration)) if answered else None,
            "createdAt": iso(started - timedelta(seconds=5)),
            "updatedAt": iso(started + timedelta(seconds=duration)),
            "sequenceRunId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"skipcall-fake:sequence-run:{call_id}")),
            "sequenceId": f"seq-{contact['teamId'][3:]}",  # the workspace's seeded sequence
            "syncedWithCrmDate": None,
            "deletedAt": None,
            "organizationId": "org-1",
            "organizationMembershipId": user["organizationMembershipId"],
            "managedPhoneNumberId": self.new_id(),
            "notes": "" if i % 3 else "Left a voicemail",
            "contact": None
            if i % 10 == 5
            else {
                "id": contact["id"],
                "firstName": contact["firstName"],
                "lastName": contact["lastName"],
                "isUnknown": False,
            },
            "phoneNumber": {"value": contact["phoneNumbers"][0]},
            "caller": None if i % 25 == 0 else {"firstName": user["firstName"], "lastName": user["lastName"]},
            "callerPhoneNumber": None if i % 12 == 0 else {"value": "+33100000000"},
        }
        if self.calls[call_id]["callType"] == "DIRECT_CALL":
            # Not made in a sequence: the reference types both ids as strings, never null, and does not require
            # them, so a direct call has neither.
            del self.calls[call_id]["sequenceRunId"], self.calls[call_id]["sequenceId"]
        self.call_workspace[call_id] = contact["teamId"]
        if answered:
            status = "COMPLETED" if i == 0 else rng.choice(("COMPLETED", "COMPLETED", "PENDING", "FAILED"))
            self.recordings[call_id] = {
                "id": self.new_id(),
                "duration": duration,
                "startTime": iso(started),
                "hasTranscription": status == "COMPLETED",
                "transcriptionStatus": status,
            }
            self.transcriptions[call_id] = {
                "id": self.new_id(),
                "status": status,
                "transcript": [
                    {
                        "speaker": 0,
                        "text": f"Hello, this is {user['firstName']} from Skipcall.",
                        "start": 0.4,
                        "end": 2.9,
                        "confidence": 0.96,
                    },
                    {"speaker": 1, "text": "Hi, go ahead.", "start": 3.1, "end": 4.0, "confidence": 0.91},
                ]
                if status == "COMPLETED"
                else None,
                "summary": "Introduced the product; follow-up agreed." if status == "COMPLETED" else None,
                "startedAt": iso(started + timedelta(seconds=duration + 5)),
                "endedAt": iso(started + timedelta(seconds=duration + 50)) if status == "COMPLETED" else None,
            }

    def _seed_sequence(self, i: int, ws_id: str) -> None:
        seq_id = f"seq-{i + 1}"
        self.sequences[seq_id] = {
            "id": seq_id,
            "name": f"Outreach {i + 1}",
            "workspaceId": ws_id,
            "assignedToIds": ["om-1"],
            "creatorId": "om-1",
        }
        self.sequence_workspace[seq_id] = ws_id
        self.sequence_contacts[seq_id] = {}
        tags = [t for t_id, t in self.tags.items() if self.tag_workspace[t_id] == ws_id]
        members = [m for m in self.members[ws_id] if m["status"] == "ACTIVE"]
        for n, contact in enumerate(c for c in self.contacts.values() if c["teamId"] == ws_id):
            if n >= 30:
                break
            self.add_sequence_contact(
                seq_id,
                contact["id"],
                members[n % len(members)]["id"],
                tags=[{"id": tags[n % len(tags)]["id"], "label": tags[n % len(tags)]["label"]}],
            )

    def add_sequence_contact(
        self, seq_id: str, contact_id: str, assignee: str | None, tags: list[dict[str, Any]] | None = None
    ) -> bool:
        rows = self.sequence_contacts[seq_id]
        row = rows.get(contact_id)
        if row is not None:
            return bool(row.pop("_deleted", False))  # a soft-deleted row is resurrected with its assignee
        rows[contact_id] = {
            "id": self.new_id(),
            "contactId": contact_id,
            "status": ("NOT_STARTED", "IN_PROGRESS", "DONE")[len(rows) % 3],
            "assignedToWorkspaceMembershipId": assignee,
            "tags": tags or [],
            "calls": [],
        }
        return True

    # -- scope -------------------------------------------------------------------------------------------------

    def visible(self, workspace: object) -> bool:
        """Whether ``workspace`` names a workspace of the key's scope; any other value, of any type, does not."""
        return isinstance(workspace, str) and workspace in self.scope

    def in_scope(self, kind: ScopedKind, within: Collection[str] | None = None) -> list[dict[str, Any]]:
        """The stored ``kind`` in the key's scope, narrowed to the workspaces ``within``, in stored order.

        The one place for the API's rule that what lies outside a key's scope does not exist: ``within`` can
        narrow the scope, never widen it.
        """
        workspaces = self.scope if within is None else self.scope.intersection(within)
        items, workspace_of = self._placed(kind)
        return [item for item in items if workspace_of(item) in workspaces]

    def _placed(self, kind: ScopedKind) -> tuple[Iterable[dict[str, Any]], Callable[[dict[str, Any]], str]]:
        """The items of ``kind`` and how to find each one's workspace."""
        if kind == "calls":
            return self.calls.values(), lambda call: self.call_workspace[call["id"]]
        if kind == "contacts":
            return self.contacts.values(), lambda contact: contact["teamId"]
        return self.workspaces, lambda workspace: workspace["id"]
