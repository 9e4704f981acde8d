"""One line per failure and the command's exit codes: the only place that turns an exception into a message."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Final, NoReturn

import click

from .._errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    DecodeError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitWaitError,
    ResponseTooLargeError,
    ServerError,
    SkipcallError,
    TooManyRequestsError,
)
from ._settings import Settings, SettingsError

EXIT_OK: Final = 0
EXIT_ERROR: Final = 1  # the API or the network failed
EXIT_USAGE: Final = 2  # the command line or the settings are wrong; nothing was sent
EXIT_BUSY: Final = 75  # another export is writing to the output file (sysexits' EX_TEMPFAIL: try again later)
EXIT_INTERRUPTED: Final = 130  # Ctrl-C (SIGINT)
EXIT_CLOSED_OUTPUT: Final = 141  # stdout's reader went away (``| head``), as a process killed by SIGPIPE
EXIT_TERMINATED: Final = 143  # SIGTERM


def _seconds(value: float | None) -> str:
    return "an unknown time" if value is None else f"{value:.0f} s"


def describe(error: BaseException, settings: Settings) -> tuple[str, int]:
    """(one-line message, exit code) for an error raised while a command ran."""
    if isinstance(error, SettingsError | ConfigurationError | InvalidArgumentError):  # nothing was sent
        return str(error), EXIT_USAGE
    if isinstance(error, AuthenticationError):
        return (
            f"the API key was refused ({_status(error)}): check SKIPCALL_API_KEY or --api-key-file",
            EXIT_ERROR,
        )
    if isinstance(error, PermissionDeniedError):
        return f"the key's subscription gives no API access ({_status(error)}): {error.message}", EXIT_ERROR
    if isinstance(error, NotFoundError):
        return f"not found ({_status(error)}): {error.message} (or outside the key's workspaces)", EXIT_ERROR
    if isinstance(error, BadRequestError):
        return f"the API refused the request ({_status(error)}): {error.message}", EXIT_ERROR
    if isinstance(error, RateLimitWaitError):
        return (
            f"the rate limit would hold the request for {_seconds(error.retry_after)}, more than "
            f"--max-rate-limit-wait {settings.max_rate_limit_wait:g} s: try again later or raise it",
            EXIT_ERROR,
        )
    if isinstance(error, TooManyRequestsError):
        return (
            f"rate limited (429) after {error.attempts} attempt(s); the server says to wait "
            f"{_seconds(error.retry_after)}",
            EXIT_ERROR,
        )
    if isinstance(error, ServerError):
        return f"the API failed ({_status(error)}) after {error.attempts} attempt(s): {error.message}", EXIT_ERROR
    if isinstance(error, APIError):
        return f"the API answered {_status(error)}: {error.message}", EXIT_ERROR
    if isinstance(error, APITimeoutError):
        return f"no answer within --timeout {settings.timeout:g} s after {error.attempts} attempt(s)", EXIT_ERROR
    if isinstance(error, APIConnectionError):
        return f"cannot reach the API: {error}", EXIT_ERROR
    if isinstance(error, ResponseTooLargeError):
        return (
            f"the API's answer ({error.status}) is larger than --max-response-bytes {error.limit}: "
            "raise it, or give 0 for no limit",
            EXIT_ERROR,
        )
    if isinstance(error, DecodeError):
        return f"unexpected answer from the API: {error}", EXIT_ERROR
    if isinstance(error, SkipcallError):
        return str(error), EXIT_ERROR
    if isinstance(error, ValueError | TypeError):  # an argument the SDK refused before sending
        return str(error), EXIT_USAGE
    return f"{type(error).__name__}: {error}", EXIT_ERROR


def _status(error: APIError) -> str:
    return f"{error.status} {error.code}" if error.code else str(error.status)


def output_closed() -> NoReturn:
    """Stdout's reader has gone (``skipcall calls list --all | head``): stop quietly, as other commands do.

    Stdout is pointed at the null device first, so that flushing it at exit raises nothing more.
    """
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    raise click.exceptions.Exit(EXIT_CLOSED_OUTPUT)


def fail(message: str, code: int) -> NoReturn:
    """Print ``skipcall: error: message`` on stderr and exit with ``code``."""
    click.echo(f"skipcall: error: {message}", err=True)
    raise click.exceptions.Exit(code)
