"""The IETF ``RateLimit`` fields, every revision servers send, read into the same families as ``X-RateLimit-*``.

The header values here are those express-rate-limit 8 sends (``standardHeaders: 'draft-6' | 'draft-7' |
'draft-8'``), as captured from the real package, plus the forms other servers send (several policies, tokens).
"""

from __future__ import annotations

import pytest

from skipcall_async import RateLimitHeaders
from skipcall_async._pacing.ietf import Policy, ietf_policies
from skipcall_async._pacing.interpret import HeaderInterpreter
from support.drivers import Clock, Driver, Stores, store_fixture

stores = store_fixture()
DATE = "Mon, 07 Dec 2026 10:56:24 GMT"
DRAFT_6 = {"RateLimit-Policy": "20;w=2", "RateLimit-Limit": "20", "RateLimit-Remaining": "19", "RateLimit-Reset": "2"}
DRAFT_7 = {"RateLimit-Policy": "20;w=2", "RateLimit": "limit=20, remaining=19, reset=2"}
DRAFT_8 = {"RateLimit": '"20-in-2sec"; r=19; t=2', "RateLimit-Policy": '"20-in-2sec"; q=20; w=2; pk=:ZDA0OTRkMjM0MDdl:'}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (DRAFT_6, Policy("ietf", 20, 19, 2.0, 2.0)),
        (DRAFT_7, Policy("ietf", 20, 19, 2.0, 2.0)),
        (DRAFT_8, Policy("20-in-2sec", 20, 19, 2.0, 2.0)),
        (
            {"RateLimit-Limit": "100", "RateLimit-Remaining": "5", "RateLimit-Reset": "30"},
            Policy("ietf", 100, 5, 30.0, None),
        ),
        (
            {"RateLimit": "day;r=90;t=3600", "RateLimit-Policy": "day;q=100;w=86400"},
            Policy("day", 100, 90, 3600.0, 86400.0),
        ),
        ({"RateLimit": '"p";r=3;t=1.5'}, Policy("p", None, 3, 1.5, None)),
    ],
    ids=["draft-6", "draft-7", "draft-8", "draft-6 without a policy", "a token name", "no policy field"],
)
def test_each_revision_reads_as_one_policy(raw: dict[str, str], expected: Policy) -> None:
    assert ietf_policies(raw) == (expected,)


def test_several_policies_are_each_a_limit_of_their_own() -> None:
    """Two named policies (a burst and a day): both are families, each with its quota and window."""
    raw = {
        "RateLimit": '"burst";r=4;t=1, "day";r=900;t=3600',
        "RateLimit-Policy": '"burst";q=5;w=1, "day";q=1000;w=86400',
        "Date": DATE,
    }
    parsed = RateLimitHeaders.parse(raw)
    assert [(name, f.limit, f.remaining, f.reset_after, f.window) for name, f in parsed.families] == [
        ("burst", 5, 4, 1.0, 1.0),
        ("day", 1000, 900, 3600.0, 86400.0),
    ]
    assert parsed.server_date is not None


@pytest.mark.parametrize(
    "raw",
    [
        {"RateLimit": ";;;", "RateLimit-Policy": "q=="},
        {"RateLimit": '"p";r=-1;t=-5', "RateLimit-Policy": '"p";q=-3'},
        {"RateLimit": '"p";r=?1;t="soon"'},
        {"RateLimit": '"bytes";r=10;t=1', "RateLimit-Policy": '"bytes";q=1000;qu="content-bytes";w=1'},
        {"RateLimit-Limit": "lots", "RateLimit-Remaining": "many", "RateLimit-Reset": "later"},
        {"RateLimit": "limit=, remaining=, reset="},
    ],
    ids=["unparsable", "negative", "wrong types", "another unit", "words", "empty members"],
)
def test_unreadable_fields_state_nothing_and_never_raise(raw: dict[str, str]) -> None:
    parsed = RateLimitHeaders.parse(raw)
    assert all(f.remaining is None or f.reset_after is None for _, f in parsed.families), parsed


def test_a_limit_sent_in_both_forms_is_read_once() -> None:
    """A server sending X-RateLimit-* and RateLimit-* for the same limit: one family, from the IETF fields
    (which give the window too); a different legacy limit stays a family of its own."""
    same = {"X-RateLimit-Limit": "20", "X-RateLimit-Remaining": "19", "X-RateLimit-Reset": "1796640987", **DRAFT_6}
    parsed = RateLimitHeaders.parse(same)
    assert [(name, f.limit, f.remaining, f.reset_after, f.window) for name, f in parsed.families] == [
        ("default", 20, 19, 2.0, 2.0)
    ]
    other = {**same, "X-RateLimit-Limit": "1000", "X-RateLimit-Remaining": "999"}
    names = [(name, f.limit) for name, f in RateLimitHeaders.parse(other).families]
    assert names == [("default", 1000), ("ietf", 20)]


async def answer(driver: Driver, reader: HeaderInterpreter, raw: dict[str, str]) -> int:
    """The probe answered with ``raw`` at time 0: how many more requests the store grants at once."""
    await driver.grant(1)
    lease, stamp, granted_at = driver.held.pop(0)
    seen = reader.read(0.0, 1_800_000_000.0, RateLimitHeaders.parse(raw), status=200, retry_after=None, sent_ago=0.0)
    await driver.backend.record(driver.ticket(lease, stamp, granted_at), seen)
    return (await driver.grant(1_000)).granted


@pytest.mark.parametrize("raw", [DRAFT_6, DRAFT_7, DRAFT_8], ids=["draft-6", "draft-7", "draft-8"])
async def test_the_ietf_fields_pace_as_the_legacy_ones_do(raw: dict[str, str], stores: Stores) -> None:
    """The probe's answer says 19 left of 20 for 2 s, the window its policy states: 19 more, then wait 2 s."""
    driver = stores(clock=Clock(0.0), lease=1e9)
    reader = HeaderInterpreter(window=None, probe=1)
    assert await answer(driver, reader, raw) == 19
    assert [r.bound_window for r in reader._readers.values()] == [2.0]  # the policy's window, believed
    assert (await driver.view()).reset_in == pytest.approx(2.0)


async def test_the_most_restrictive_policy_wins(stores: Stores) -> None:
    """A burst policy with 2 left beside a day with 900: two more requests, not 900."""
    driver = stores(clock=Clock(0.0), lease=1e9)
    raw = {
        "RateLimit": '"burst";r=2;t=1, "day";r=900;t=3600',
        "RateLimit-Policy": '"burst";q=5;w=1, "day";q=1000;w=86400',
    }
    assert await answer(driver, HeaderInterpreter(window=None, probe=1), raw) == 2
