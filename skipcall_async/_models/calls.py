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
    """The contact a call was made to, as summarised inside a call.

    Attributes:
        id: The contact's id.
        first_name: First name.
        last_name: Last name.
        is_unknown: True for a number that matches no contact.
    """

    id: str
    first_name: str | None = None
    last_name: str | None = None
    is_unknown: bool = False


@attrs.frozen(kw_only=True)
class PhoneNumber(Model):
    """A phone number summary (dialled number or the caller's managed number).

    Attributes:
        value: The number, such as `"+33612345678"`.
    """

    value: str


@attrs.frozen(kw_only=True)
class Caller(Model):
    """The organisation member who made the call."""

    first_name: str | None = None
    last_name: str | None = None


@attrs.frozen(kw_only=True)
class Call(Model):
    """One call-history entry with summaries of its contact, numbers and caller.

    Attributes:
        id: The call-history entry's id.
        call_type: A [`CallType`][skipcall_async.CallType] when known, else the raw string.
        phone_number_id: The id of the phone number used for the call.
        user_provider_sid: The telephony provider's id of the user side of the call.
        admin_provider_sid: The telephony provider's id of the admin side of the call.
        provider_conference_id: The telephony provider's conference id.
        status: The call's status, a free string such as `"completed"`.
        type: The call's direction, a free string such as `"outbound"` or `"inbound"`.
        transferred: Whether the call was transferred.
        started_at: When the call started.
        ended_at: When the call ended.
        created_at: When the entry was created.
        updated_at: When the entry last changed.
        sequence_run_id: The sequence run the call belongs to, if any.
        sequence_id: The sequence the call belongs to, if any.
        synced_with_crm_date: When the call was synced with the CRM.
        deleted_at: When the entry was deleted, if it was.
        organization_id: The organisation's id.
        organization_membership_id: The caller's organisation-membership id.
        managed_phone_number_id: The id of the caller's managed phone number.
        notes: Notes taken on the call.
        contact: The contact called.
        phone_number: The phone number called.
        caller: The organisation member who made the call.
        caller_phone_number: The managed phone number the caller used.
    """

    id: str
    call_type: CallType | str | None = None
    phone_number_id: str | None = None
    user_provider_sid: str | None = None
    admin_provider_sid: str | None = None
    provider_conference_id: str | None = None
    status: str | None = None
    type: str | None = None
    transferred: bool | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    sequence_run_id: str | None = None
    sequence_id: str | None = None
    synced_with_crm_date: datetime | None = None
    deleted_at: datetime | None = None
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
    """Recording metadata of a call (the API exposes no audio URL).

    Attributes:
        id: The recording's id.
        duration: Length in seconds.
        start_time: When the recording started.
        has_transcription: Whether a transcription exists.
        transcription_status: A [`TranscriptionStatus`][skipcall_async.TranscriptionStatus] when known, else the
            raw string; None without a transcription.
    """

    id: str
    duration: float | None = None
    start_time: datetime | None = None
    has_transcription: bool = False
    transcription_status: TranscriptionStatus | str | None = None


@attrs.frozen(kw_only=True)
class Utterance(Model):
    """One transcribed utterance. The API shows this shape only by example, so the meanings are inferred.

    Attributes:
        speaker: Index of the speaker, from 0.
        text: What was said.
        start: Offset of its start in the call, in seconds.
        end: Offset of its end in the call, in seconds.
        confidence: Recognition confidence, from 0 to 1.
    """

    speaker: int | None = None
    text: str = ""
    start: float | None = None
    end: float | None = None
    confidence: float | None = None


@attrs.frozen(kw_only=True)
class CallTranscription(Model):
    """Transcript utterances of a call plus the AI summary.

    Attributes:
        id: The transcription's id.
        status: A [`TranscriptionStatus`][skipcall_async.TranscriptionStatus] when known, else the raw string.
        transcript: The utterances in order (None when the API sends none).
        summary: The AI-generated summary of the conversation.
        started_at: When transcription processing started.
        ended_at: When transcription processing ended.
    """

    id: str
    status: TranscriptionStatus | str | None = None
    transcript: tuple[Utterance, ...] | None = None
    summary: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
