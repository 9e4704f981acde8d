"""Log lines: one DEBUG line per request, INFO for 429s and retries, waits summarised; the SKIPCALL_LOG switch."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from skipcall_async import RetryPolicy, ServerError, SkipcallClient, _logs
from skipcall_async._logs import LOG_ENV, configure_from_environment
from skipcall_async.testing import FakeSkipcall, Plan, RateLimitRule
from support.backends import API_KEY, LocalServer

LOGGER = logging.getLogger("skipcall_async")


def lines(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "skipcall_async" and r.levelno == level]


async def test_one_debug_line_per_request_with_its_fields(
    server: LocalServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Operation, method, route, status, time, attempt, rate-limit wait and path; the same as record attributes."""
    caplog.set_level(logging.DEBUG, logger="skipcall_async")
    server.respond(503, None)
    server.respond(200, [])
    async with SkipcallClient(API_KEY, base_url=server.url, retry=RetryPolicy(base=0.0, cap=0.0)) as client:
        await client.list_workspaces()
    requests = [r for r in caplog.records if r.levelno == logging.DEBUG and hasattr(r, "rate_limit_wait")]
    assert len(requests) == len(server.sent) == 2
    assert [(r.operation, r.route, r.status, r.attempt) for r in requests] == [  # type: ignore[attr-defined]
        ("list_workspaces", "/v1/workspaces", 503, 1),
        ("list_workspaces", "/v1/workspaces", 200, 2),
    ]
    first = requests[0].getMessage()
    assert first.startswith("list_workspaces GET /v1/workspaces 503 in ")
    assert first.endswith("(attempt 1, rate-limit wait 0.000 s, path /v1/workspaces)")
    assert API_KEY not in caplog.text


async def test_429s_and_retries_are_info_and_a_failure_after_retries_ends_the_story(
    server: LocalServer, caplog: pytest.LogCaptureFixture
) -> None:
    """INFO tells the 429, each retry, and how the call ended when it failed after retrying."""
    caplog.set_level(logging.INFO, logger="skipcall_async")
    server.respond(429, None, Retry_After="0.05", X_RateLimit_Remaining="0", X_RateLimit_Reset="1")
    server.respond(503, None)
    async with SkipcallClient(API_KEY, base_url=server.url, retry=RetryPolicy(max_attempts=3, base=0.0, cap=0.0)) as c:
        with pytest.raises(ServerError):
            await c.get_call("c-7")
    info = lines(caplog, logging.INFO)
    assert info[0] == (
        "get_call GET /v1/calls/{id} got 429 on attempt 1 (Retry-After 0.05 s); "
        "every call on the key waits for the gate"
    )
    retries = [line for line in info if line.startswith("retrying get_call GET /v1/calls/{id} after ")]
    assert len(retries) == 2
    assert "ServerError: 503 GET /v1/calls/c-7: server error (attempt 2 failed)" in retries[1]
    assert info[-1].startswith(f"get_call GET /v1/calls/{{id}} failed after {len(server.sent)} attempts in ")
    assert info[-1].endswith(": ServerError: 503 GET /v1/calls/c-7: server error")
    assert lines(caplog, logging.DEBUG) == []  # INFO was asked for: no line per request


async def test_waits_are_summarised_not_told_task_by_task(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """40 calls on a 10-a-window key: most wait, and the log says so in one line once the burst is over."""
    caplog.set_level(logging.INFO, logger="skipcall_async")
    monkeypatch.setattr(_logs, "QUIET", 0.05)
    rule = RateLimitRule(plan=Plan(limit=10, window=60.0), time_scale=300.0, reset_format="epoch-ms")
    waits: list[float] = []

    async def on_wait(event: object) -> None:
        waits.append(event.waited)

    async with FakeSkipcall(rate_limit=rule) as server:
        ids = [c["id"] for c in server.store.in_scope("calls")[:40]]
        async with SkipcallClient(server.api_key, base_url=server.url, on_rate_limit_wait=on_wait) as client:
            await asyncio.gather(*(client.get_call(i) for i in ids))
            assert not [line for line in lines(caplog, logging.INFO) if line.startswith("rate limit: ")]
            await asyncio.sleep(0.1)  # the queue has stayed empty: the burst is told
    summaries = [line for line in lines(caplog, logging.INFO) if line.startswith("rate limit: ")]
    assert len(waits) >= 30
    assert len(summaries) == 1
    told = sum(int(line.split()[2]) for line in summaries)
    assert told == len(waits)  # every wait is in a summary, once
    assert "interactive" in summaries[-1]


@pytest.fixture
def logger_state() -> Iterator[None]:
    """The package logger as it was, restored after a test that changes it."""
    level, handlers, propagate = LOGGER.level, list(LOGGER.handlers), LOGGER.propagate
    yield
    LOGGER.setLevel(level)
    LOGGER.handlers[:] = handlers
    LOGGER.propagate = propagate


@pytest.mark.usefixtures("logger_state")
def test_skipcall_log_sets_the_level_and_one_stderr_handler() -> None:
    """`debug` and `info` set the level; applying it again adds no second handler; records are printed once."""
    handlers = list(LOGGER.handlers)
    assert configure_from_environment({LOG_ENV: "debug"}) == logging.DEBUG
    assert LOGGER.level == logging.DEBUG
    assert configure_from_environment({LOG_ENV: "INFO"}) == logging.INFO
    assert LOGGER.level == logging.INFO
    [added] = [h for h in LOGGER.handlers if h not in handlers]
    assert isinstance(added, logging.StreamHandler)
    assert LOGGER.propagate is False
    assert configure_from_environment({}) is None


@pytest.mark.usefixtures("logger_state")
def test_an_unknown_skipcall_log_value_is_refused_with_a_warning() -> None:
    """Not silently ignored: the warning names the accepted values, and the logger is left as it was."""
    before = LOGGER.level
    with pytest.warns(UserWarning, match=r"SKIPCALL_LOG='verbose' is not one of debug, info"):
        assert configure_from_environment({LOG_ENV: "verbose"}) is None
    assert LOGGER.level == before


def test_skipcall_log_debug_prints_each_request_on_stderr() -> None:
    """As a user runs it: a script against the fake server, with SKIPCALL_LOG=debug, logs its requests on stderr."""
    script = (
        "import asyncio\n"
        "from skipcall_async import SkipcallClient\n"
        "from skipcall_async.testing import FakeSkipcall\n"
        "async def main():\n"
        "    async with FakeSkipcall() as server:\n"
        "        async with SkipcallClient(server.api_key, base_url=server.url) as client:\n"
        "            await client.list_calls(size=2)\n"
        "            await client.health()\n"
        "asyncio.run(main())\n"
    )
    env = {**os.environ, LOG_ENV: "debug"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    requests = [line for line in done.stderr.splitlines() if "rate-limit wait" in line]
    assert len(requests) == 2
    assert " skipcall_async DEBUG] list_calls GET /v1/calls 200 in " in requests[0]
    assert " skipcall_async DEBUG] health GET /v1/health 200 in " in requests[1]
    assert done.stdout == ""
