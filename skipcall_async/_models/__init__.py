"""Response models: plain frozen attrs classes; ``skipcall_async._codec`` turns JSON into them and back."""

from ._base import Model
from .calls import (
    Call,
    CallContact,
    Caller,
    CallRecording,
    CallTranscription,
    CallType,
    PhoneNumber,
    TranscriptionStatus,
    Utterance,
)
from .contacts import Contact, LastModificationSource
from .organization import Health, OrganizationUser, Workspace, WorkspaceMember
from .page import Page
from .sequences import Sequence, SequenceContact, SequenceContactAssignment, SequenceContactsResult
from .stats import (
    CallDurationBucket,
    CallDurationStats,
    StatusDistribution,
    StatusDistributionItem,
    TagDistribution,
    TagDistributionItem,
    TeamStats,
    TeamStatsEntry,
    TeamStatsTotals,
)
from .tags import Tag

__all__ = [
    "Call",
    "CallContact",
    "CallDurationBucket",
    "CallDurationStats",
    "CallRecording",
    "CallTranscription",
    "CallType",
    "Caller",
    "Contact",
    "Health",
    "LastModificationSource",
    "Model",
    "OrganizationUser",
    "Page",
    "PhoneNumber",
    "Sequence",
    "SequenceContact",
    "SequenceContactAssignment",
    "SequenceContactsResult",
    "StatusDistribution",
    "StatusDistributionItem",
    "Tag",
    "TagDistribution",
    "TagDistributionItem",
    "TeamStats",
    "TeamStatsEntry",
    "TeamStatsTotals",
    "TranscriptionStatus",
    "Utterance",
    "Workspace",
    "WorkspaceMember",
]
