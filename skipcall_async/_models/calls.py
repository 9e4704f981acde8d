"""Calls, their recordings and their transcriptions."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from ._base import Model


class CallType(enum.StrEnum):
    """Kind of call-history entry. A value the SDK does not know arrives as a plain ``str``."""

    CALL_SESSION = "CALL_SESSION"
    DIRECT_CALL = "DIRECT_CALL"


class TranscriptionStatus(enum.StrEnum):
    """Processing state of a transcription. Unknown values arrive as a plain ``str``."""

    PENDING = "PENDING"
    IN_PROGRESS = "IN_PROGRESS"
    FAILED = "FAILED"
    COMPLETED = "COMPLETED"


@attrs.frozen(kw_only=True)
class CallContact(Model):
    """The contact a call was made to, as summarised inside a call."""

    id: str
    first_name: str | None = None
    last_name: str | None = None
    is_unknown: bool = False


@attrs.frozen(kw_only=True)
class PhoneNumber(Model):
    """A phone number summary (dialled number or the caller's managed number)."""

    value: str


@attrs.frozen(kw_only=True)
class Caller(Model):
    """The organisation member who made the call."""

    first_name: str | None = None
    last_name: str | None = None


@attrs.frozen(kw_only=True)
class Call(Model):
    """One call-history entry with summaries of its contact, numbers and caller.

    ``status`` and ``type`` are free strings in the API (``"completed"``, ``"outbound"``); ``call_type`` is a
    :class:`CallType` when known, else the raw string.
    """

    id: str
    call_type: CallType | str | None = None
    status: str | None = None
    type: str | None = None
    transferred: bool | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    deleted_at: datetime | None = None
    synced_with_crm_date: datetime | None = None
    phone_number_id: str | None = None
    user_provider_sid: str | None = None
    admin_provider_sid: str | None = None
    provider_conference_id: str | None = None
    sequence_run_id: str | None = None
    sequence_id: str | None = None
    organization_id: str | None = None
    organization_membership_id: str | None = None
    managed_phone_number_id: str | None = None
    notes: str | None = None
    contact: CallContact | None = None
    phone_number: PhoneNumber | None = None
    caller: Caller | None = None
    caller_phone_number: PhoneNumber | None = None


@attrs.frozen(kw_only=True)
class CallRecording(Model):
    """Recording metadata of a call (the API exposes no audio URL)."""

    id: str
    duration: float | None = None
    start_time: datetime | None = None
    has_transcription: bool = False
    transcription_status: TranscriptionStatus | str | None = None


@attrs.frozen(kw_only=True)
class Utterance(Model):
    """One transcribed utterance; offsets in seconds."""

    speaker: int | None = None
    text: str = ""
    start: float | None = None
    end: float | None = None
    confidence: float | None = None


@attrs.frozen(kw_only=True)
class CallTranscription(Model):
    """Transcript utterances of a call plus the AI summary."""

    id: str
    status: TranscriptionStatus | str | None = None
    transcript: tuple[Utterance, ...] | None = None
    summary: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
