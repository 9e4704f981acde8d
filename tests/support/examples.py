"""The API's documented example bodies, field for field, used as fixtures (decoded with the strict converter)."""

from __future__ import annotations

from typing import Any

CALL: dict[str, Any] = {
    "id": "123e4567-e89b-12d3-a456-426614174000",
    "callType": "CALL_SESSION",
    "phoneNumberId": "123e4567-e89b-12d3-a456-426614174002",
    "userProviderSid": "CA123456789",
    "adminProviderSid": "CA987654321",
    "providerConferenceId": "CF123456789",
    "status": "completed",
    "type": "outbound",
    "transferred": False,
    "startedAt": "2024-03-20T09:00:00.000Z",
    "endedAt": "2024-03-20T09:15:00.000Z",
    "createdAt": "2024-03-20T08:55:00.000Z",
    "updatedAt": "2024-03-20T09:16:00.000Z",
    "sequenceRunId": "123e4567-e89b-12d3-a456-426614174003",
    "sequenceId": "123e4567-e89b-12d3-a456-426614174010",
    "syncedWithCrmDate": "2024-03-20T09:15:00.000Z",
    "deletedAt": "2024-03-20T09:15:00.000Z",
    "organizationId": "123e4567-e89b-12d3-a456-426614174004",
    "organizationMembershipId": "123e4567-e89b-12d3-a456-426614174005",
    "managedPhoneNumberId": "123e4567-e89b-12d3-a456-426614174006",
    "notes": "Call notes here",
    "contact": {
        "id": "123e4567-e89b-12d3-a456-426614174000",
        "firstName": "John",
        "lastName": "Doe",
        "isUnknown": False,
    },
    "phoneNumber": {"value": "+33612345678"},
    "caller": {"firstName": "Alice", "lastName": "Martin"},
    "callerPhoneNumber": {"value": "+33612345678"},
}

RECORDING: dict[str, Any] = {
    "id": "123e4567-e89b-12d3-a456-426614174000",
    "duration": 245,
    "startTime": "2024-01-15T10:00:00Z",
    "hasTranscription": True,
    "transcriptionStatus": "COMPLETED",
}

TRANSCRIPTION: dict[str, Any] = {
    "id": "123e4567-e89b-12d3-a456-426614174000",
    "status": "COMPLETED",
    "transcript": [{"speaker": 0, "text": "Hello, this is John from...", "start": 0.5, "end": 3.2, "confidence": 0.95}],
    "summary": "Discussion about product features...",
    "startedAt": "2024-01-15T10:00:00Z",
    "endedAt": "2024-01-15T10:00:45Z",
}

CONTACT: dict[str, Any] = {
    "id": "550e8400-e29b-41d4-a716-446655440000",
    "firstName": "John",
    "lastName": "Doe",
    "allowPhoneCalls": True,
    "callCount": 5,
    "teamId": "550e8400-e29b-41d4-a716-446655440000",
    "phoneNumbers": ["+33612345678"],
    "customFields": {"Industry": "Technology", "Size": "50-100"},
    "createdAt": "2023-11-07T05:31:56Z",
    "updatedAt": "2023-11-07T05:31:56Z",
    "lastModificationSource": "SKIPCALL",
    "email": "john.doe@example.com",
    "company": "Acme Inc.",
    "city": "Paris",
    "country": "France",
    "url": "https://example.com",
    "linkedinUrl": "https://linkedin.com/in/johndoe",
    "linkedinSalesUrl": "https://linkedin.com/sales/people/johndoe",
    "role": "CTO",
    "lastCallAt": "2023-11-07T05:31:56Z",
}

TAG: dict[str, Any] = {
    "id": "123e4567-e89b-12d3-a456-426614174000",
    "label": "Lead",
    "isSuccessTag": True,
    "createdAt": "2024-01-15T10:30:00.000Z",
    "updatedAt": "2024-01-15T10:30:00.000Z",
}

TAG_DISTRIBUTION: dict[str, Any] = {
    "data": [{"tagId": "t-1", "label": "Lead", "count": 12, "isSuccess": True, "date": "2023-10-01T00:00:00.000Z"}]
}

STATUS_DISTRIBUTION: dict[str, Any] = {
    "data": [{"status": "NOT_INITIATED", "count": 3, "date": "2023-10-01T00:00:00.000Z"}],
    "nonCalledCount": 7,
}

CALL_DURATION: dict[str, Any] = {
    "data": [{"count": 4, "averageDuration": 61.5, "totalDuration": 246, "date": "2023-10-01T00:00:00.000Z"}]
}

TEAM_STATS: dict[str, Any] = {
    "aggregate": {"totalCalls": 1250, "totalCallDuration": 45000, "totalContacts": 3400, "activeSequences": 12},
    "teams": [
        {
            "teamId": "123e4567-e89b-12d3-a456-426614174000",
            "teamName": "Sales",
            "calls": 450,
            "callDuration": 15000,
            "contacts": 1200,
            "activeSequences": 4,
            "members": 5,
        }
    ],
}

USER: dict[str, Any] = {
    "organizationMembershipId": "om-1",
    "firstName": "Alice",
    "lastName": "Martin",
    "email": "alice@example.com",
}

WORKSPACE: dict[str, Any] = {"id": "ws-1", "name": "Sales"}

MEMBER: dict[str, Any] = {"id": "wm-1", "status": "ACTIVE", **USER}

SEQUENCE: dict[str, Any] = {"id": "seq-1", "name": "Q4 outreach"}

SEQUENCE_CONTACT: dict[str, Any] = {
    "id": "sc-1",
    "contactId": "c-1",
    "status": "IN_PROGRESS",
    "assignedToWorkspaceMembershipId": "wm-1",
    "tags": [{"label": "Lead"}],
    "calls": [{"id": "call-1"}],
}

HEALTH: dict[str, Any] = {"status": "ok"}

UNAUTHORIZED: dict[str, Any] = {
    "error": {"code": "UNAUTHORIZED", "message": "Invalid or revoked API key", "status": 401}
}
LEGACY_UNAUTHORIZED: dict[str, Any] = {"code": "API_KEY_INVALID", "details": None}
FORBIDDEN: dict[str, Any] = {
    "error": {"code": "PLAN_NOT_ELIGIBLE", "message": "API access requires INTERMÉDIAIRE or EXPERT plan", "status": 403}
}
