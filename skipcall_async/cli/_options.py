"""Options shared by several commands, declared once: connection settings, output format, paging, body files."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .._base_client import DEFAULT_MAX_RESPONSE_BYTES
from ._render import FORMATS
from ._settings import Settings

Command = Callable[..., Any]


def connection_options(command: Command) -> Command:
    """Add ``--api-key-file``, ``--base-url``, ``--timeout``, ``--max-rate-limit-wait``, ``--rate-limit-window``,
    ``--max-response-bytes`` and ``--verbose``.

    The command receives them as one ``settings`` argument.
    """

    @functools.wraps(command)
    def wrapper(
        *args: Any,
        api_key_file: Path | None,
        base_url: str | None,
        timeout: float,
        max_rate_limit_wait: float,
        rate_limit_window: float | None,
        max_response_bytes: int,
        verbose: bool,
        **kwargs: Any,
    ) -> Any:
        settings = Settings(
            api_key_file=api_key_file,
            base_url=base_url,
            timeout=timeout,
            max_rate_limit_wait=max_rate_limit_wait,
            rate_limit_window=rate_limit_window,
            max_response_bytes=max_response_bytes or None,
            verbose=verbose or _verbose_before_the_command(),
        )
        return command(*args, settings=settings, **kwargs)

    options = [
        click.option(
            "--api-key-file",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Read the API key from this file (default: SKIPCALL_API_KEY).",
        ),
        click.option(
            "--base-url",
            metavar="URL",
            help="The API root (default: SKIPCALL_BASE_URL, else the production API).",
        ),
        click.option(
            "--timeout",
            type=click.FloatRange(min=0, min_open=True),
            default=30.0,
            show_default=True,
            help="Seconds for one HTTP exchange.",
        ),
        click.option(
            "--max-rate-limit-wait",
            type=click.FloatRange(min=0),
            default=300.0,
            show_default=True,
            help="Longest wait in seconds for the rate limit before failing.",
        ),
        click.option(
            "--rate-limit-window",
            type=click.FloatRange(min=0, min_open=True),
            default=None,
            metavar="SECONDS",
            help="The plan's rate-limit window, if known, for exact pacing (default: learned from the headers).",
        ),
        click.option(
            "--max-response-bytes",
            type=click.IntRange(min=0),
            default=DEFAULT_MAX_RESPONSE_BYTES,
            show_default=True,
            metavar="BYTES",
            help="The largest answer read; a larger one fails the command. 0: no limit.",
        ),
        click.option("--verbose", "-v", is_flag=True, help="Show the SDK's log on stderr."),
    ]
    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper


def _verbose_before_the_command() -> bool:
    """Whether ``-v`` came before the command's name (``skipcall -v calls list``): the root group's option."""
    context = click.get_current_context(silent=True)
    return context is not None and bool(context.find_root().params.get("verbose"))


format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="Output format (default: table on a terminal, jsonl otherwise).",
)


def list_options(command: Command) -> Command:
    """Add ``--all``, ``--page`` and ``--size`` to a list command."""
    options = [
        click.option("--all", "every_page", is_flag=True, help="Every page, not one."),
        click.option("--page", type=click.IntRange(min=1), default=1, show_default=True, help="Page number, from 1."),
        click.option(
            "--size", type=click.IntRange(1, 100), default=100, show_default=True, help="Items per page, 1 to 100."
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


body_option = click.option(
    "--body",
    "body_file",
    type=click.File("r", encoding="utf-8"),
    default=None,
    help="A JSON file (- for stdin) with the fields, named as in the API; options given override it.",
)
