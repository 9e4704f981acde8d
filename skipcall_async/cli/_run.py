"""Run one command's coroutine with a client: logging, Ctrl-C and errors handled once for every command."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from .._client import SkipcallClient
from ._errors import EXIT_INTERRUPTED, describe, fail, output_closed
from ._settings import Settings

T = TypeVar("T")
SDK_LOGGER = "skipcall_async"


class _Stderr:
    """Writes to whatever ``sys.stderr`` is at the time, so a progress display that wraps stderr sees the log."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(verbose: bool) -> None:
    """The SDK's log on stderr: everything with ``--verbose``, else only its warnings."""
    logger = logging.getLogger(SDK_LOGGER)
    for handler in [h for h in logger.handlers if getattr(h, "skipcall_cli", False)]:
        logger.removeHandler(handler)
    handler = logging.StreamHandler(_Stderr())
    handler.skipcall_cli = True  # type: ignore[attr-defined]
    if verbose:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.setLevel(logging.DEBUG)
    else:
        handler.setFormatter(logging.Formatter("skipcall: %(message)s"))
        logger.setLevel(logging.WARNING)
    logger.addHandler(handler)
    logger.propagate = False


def run(settings: Settings, work: Callable[[SkipcallClient], Awaitable[T]], **hooks: Any) -> T:
    """``work(client)`` in a new event loop; a failure becomes one line on stderr and its exit code.

    Ctrl-C exits with 130. With ``--verbose`` the traceback of an unexpected error is logged too.
    """
    configure_logging(settings.verbose)

    async def session() -> T:
        async with settings.client(**hooks) as client:
            return await work(client)

    try:
        return asyncio.run(session())
    except KeyboardInterrupt:
        fail("interrupted", EXIT_INTERRUPTED)
    except click.exceptions.Exit:
        raise
    except BrokenPipeError:
        output_closed()
    except Exception as error:
        if settings.verbose:
            logging.getLogger(SDK_LOGGER).debug("the command failed", exc_info=error)
        fail(*describe(error, settings))
