"""skipcall-async: an asyncio-native client for the Skipcall Public API.

Every public name is re-exported here; modules whose name starts with ``_`` are private.
"""

from . import _codec as _codec  # installs Model.from_dict / to_dict: the models cannot import the codec
from ._client import SkipcallClient, WithRawResponse
from ._docstrings import plain_docstrings as _plain_docstrings
from ._errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ClientClosedError,
    ConfigurationError,
    DecodeError,
    EventLoopError,
    InvalidArgumentError,
    InvalidArgumentTypeError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RateLimitWaitError,
    ResponseTooLargeError,
    ServerError,
    SkipcallError,
    TooManyRequestsError,
)
from ._events import FailureEvent, Hook, RateLimitWaitEvent, RequestEvent, ResponseEvent, RetryEvent
from ._logs import configure_from_environment as _configure_logging
from ._models import (
    Call,
    CallContact,
    CallDurationBucket,
    CallDurationStats,
    Caller,
    CallRecording,
    CallTranscription,
    CallType,
    Contact,
    Health,
    LastModificationSource,
    Model,
    OrganizationUser,
    Page,
    PhoneNumber,
    Sequence,
    SequenceContact,
    SequenceContactAssignment,
    SequenceContactsResult,
    StatusDistribution,
    StatusDistributionItem,
    Tag,
    TagDistribution,
    TagDistributionItem,
    TeamStats,
    TeamStatsEntry,
    TeamStatsTotals,
    TranscriptionStatus,
    Utterance,
    Workspace,
    WorkspaceMember,
)
from ._pacing.headers import RateLimitHeaders
from ._pacing.limiter import RateLimitSnapshot
from ._pacing.policy import RateLimitPolicy
from ._pacing.redis import RedisRateLimitStore
from ._pacing.stores import InProcessRateLimitStore, RateLimitStore
from ._priority import Priority, priority
from ._raw_response import RawResponse
from ._retry import RetryPolicy
from ._sync_client import SyncSkipcallClient, SyncWithRawResponse
from ._types import NOT_GIVEN, DateLike, Granularity, NotGiven, StatsCallType, TeamStatsPeriod
from ._version import __version__

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "Call",
    "CallContact",
    "CallDurationBucket",
    "CallDurationStats",
    "CallRecording",
    "CallTranscription",
    "CallType",
    "Caller",
    "ClientClosedError",
    "ConfigurationError",
    "Contact",
    "DateLike",
    "DecodeError",
    "EventLoopError",
    "FailureEvent",
    "Granularity",
    "Health",
    "Hook",
    "InProcessRateLimitStore",
    "InvalidArgumentError",
    "InvalidArgumentTypeError",
    "LastModificationSource",
    "Model",
    "NOT_GIVEN",
    "NotFoundError",
    "NotGiven",
    "OrganizationUser",
    "Page",
    "PermissionDeniedError",
    "PhoneNumber",
    "Priority",
    "RateLimitError",
    "RateLimitHeaders",
    "RateLimitPolicy",
    "RateLimitSnapshot",
    "RateLimitStore",
    "RateLimitWaitError",
    "RateLimitWaitEvent",
    "RawResponse",
    "RedisRateLimitStore",
    "RequestEvent",
    "ResponseEvent",
    "ResponseTooLargeError",
    "RetryEvent",
    "RetryPolicy",
    "Sequence",
    "SequenceContact",
    "SequenceContactAssignment",
    "SequenceContactsResult",
    "ServerError",
    "SkipcallClient",
    "SkipcallError",
    "StatsCallType",
    "StatusDistribution",
    "StatusDistributionItem",
    "SyncSkipcallClient",
    "SyncWithRawResponse",
    "Tag",
    "TagDistribution",
    "TagDistributionItem",
    "TeamStats",
    "TeamStatsEntry",
    "TeamStatsPeriod",
    "TeamStatsTotals",
    "TooManyRequestsError",
    "TranscriptionStatus",
    "Utterance",
    "WithRawResponse",
    "Workspace",
    "WorkspaceMember",
    "__version__",
    "priority",
]

_configure_logging()  # SKIPCALL_LOG=debug|info: the SDK's log lines on stderr
_plain_docstrings(globals()[name] for name in __all__)  # help() shows names where the site shows links
