"""Every operation of the client, called with realistic arguments: one table for the tests that cover them all.

Each entry takes the client (or one of its views, such as ``with_raw_response``) and returns the call's awaitable.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from skipcall_async import SequenceContactAssignment

CALL_ID = "123e4567-e89b-12d3-a456-426614174000"
CONTACT_ID = "550e8400-e29b-41d4-a716-446655440000"
SEQUENCE_ID = "123e4567-e89b-12d3-a456-426614174010"

Operation = Callable[[Any], Awaitable[Any]]
OPERATIONS: dict[str, Operation] = {
    "health": lambda r: r.health(),
    "list_calls": lambda r: r.list_calls(workspace_ids=["ws-1", "ws-2"], page=1, size=25),
    "get_call": lambda r: r.get_call(CALL_ID),
    "get_call_recording": lambda r: r.get_call_recording(CALL_ID),
    "get_call_transcription": lambda r: r.get_call_transcription(CALL_ID),
    "create_contact": lambda r: r.create_contact(
        first_name="John",
        last_name="Doe",
        phone_numbers=["+33612345678"],
        email="john.doe@example.com",
        company="Acme Inc.",
        city="Paris",
        country="France",
        url="https://example.com",
        linkedin_url="https://linkedin.com/in/johndoe",
        linkedin_sales_url="https://linkedin.com/sales/people/johndoe",
        role="CTO",
        allow_phone_calls=True,
        custom_fields={"industry": "Technology", "team_size": "50-100"},
    ),
    "get_contact": lambda r: r.get_contact(CONTACT_ID),
    "update_contact": lambda r: r.update_contact(
        CONTACT_ID, city="Lyon", phone_numbers=["+33612345678", "+33698765432"], custom_fields={"tier": "gold"}
    ),
    "create_sequence": lambda r: r.create_sequence(
        name="Q3 outreach", assigned_to_ids=["om-1", "om-2"], creator_id="om-1", workspace_id="ws-1"
    ),
    "list_sequence_contacts": lambda r: r.list_sequence_contacts(SEQUENCE_ID, tag="Lead", status="IN_PROGRESS"),
    "add_sequence_contacts": lambda r: r.add_sequence_contacts(
        SEQUENCE_ID,
        [CONTACT_ID, SequenceContactAssignment(contact_id=CALL_ID, assigned_to_workspace_membership_id="wm-1")],
    ),
    "remove_sequence_contacts": lambda r: r.remove_sequence_contacts(SEQUENCE_ID, [CONTACT_ID]),
    "get_tag_distribution": lambda r: r.get_tag_distribution(
        call_type="direct", granularity="week", start_date=date(2026, 1, 1), end_date="2026-01-31", workspace_id="ws-1"
    ),
    "get_status_distribution": lambda r: r.get_status_distribution(
        sequence_id=SEQUENCE_ID, user_membership_id="om-1", granularity="day", workspace_id="ws-1"
    ),
    "get_call_duration_stats": lambda r: r.get_call_duration_stats(call_type="all", granularity="month"),
    "create_tag": lambda r: r.create_tag(label="Meeting booked", is_success_tag=True),
    "delete_tag": lambda r: r.delete_tag("123e4567-e89b-12d3-a456-426614174099"),
    "get_team_stats": lambda r: r.get_team_stats(period="custom", start_date="2026-01-01", end_date="2026-01-31"),
    "list_users": lambda r: r.list_users(workspace_ids=["ws-1"]),
    "list_workspaces": lambda r: r.list_workspaces(),
    "list_workspace_members": lambda r: r.list_workspace_members("ws-1", page=0, size=50),
}
