"""The in-process store lets go of a key's pacing state once it no longer matters, and not before."""

from __future__ import annotations

import asyncio
import gc

import aiohttp
import pytest

from skipcall_async import RateLimitPolicy, SkipcallClient, TooManyRequestsError
from skipcall_async._pacing.stores import IN_PROCESS, _Registry
from skipcall_async._secret import ApiKey
from skipcall_async.testing import FakeSkipcall, Faults, Plan, RateLimitRule

WINDOW = 0.5  # the server's window (time scale 120), stated to the clients
RULE = RateLimitRule(plan=Plan(limit=1), rule="fixed-first", time_scale=60 / WINDOW)
POLICY = RateLimitPolicy(window=WINDOW)


def registry() -> _Registry:
    return IN_PROCESS._registries[asyncio.get_running_loop()]


def held(server: FakeSkipcall, *keys: str) -> set[str]:
    """Which of ``keys`` the store still holds a limiter for, after a collection (limiters sit in cycles)."""
    gc.collect()
    fingerprints = {fingerprint for url, fingerprint in registry()._limiters if url == server.url}
    return {key for key in keys if ApiKey(key).fingerprint in fingerprints}


async def use_once(server: FakeSkipcall, key: str, **options: object) -> None:
    """One call on ``key`` through a client of its own, closed at once."""
    async with SkipcallClient(key, base_url=server.url, rate_limiting=POLICY, **options) as client:  # type: ignore[arg-type]
        await client.health()


@pytest.mark.slow
async def test_keys_used_once_are_let_go_once_their_windows_are_over() -> None:
    """500 keys each used once by a short-lived client: after their windows, the store holds none of them."""
    keys = [f"sk_tenant_{n:03d}" for n in range(500)]
    async with FakeSkipcall(rate_limit=RULE, any_key=True) as server:
        for first in range(0, len(keys), 50):
            await asyncio.gather(*(use_once(server, key) for key in keys[first : first + 50]))
        assert len(held(server, *keys)) > 0  # the latest windows are still running
        await asyncio.sleep(WINDOW + 0.2)
        await use_once(server, "sk_tenant_next")  # a new key is when the store looks at the others again
        assert held(server, "sk_tenant_next") == {"sk_tenant_next"}
        assert held(server, *keys) == set()
    assert server.rate_limited == 0


async def gate_a_key(server: FakeSkipcall, key: str) -> float:
    """Someone else spends the key's one request; our client's call gets a 429 asking for 2 s; the client closes.

    Returns the loop time at which the gate was seen closed for 2 s.
    """
    async with aiohttp.ClientSession() as session:
        async with session.get(server.url + "/v1/health", headers={"Authorization": f"Bearer {key}"}) as response:
            assert response.status == 200
    async with SkipcallClient(key, base_url=server.url, rate_limiting=POLICY, max_rate_limit_wait=0) as client:
        with pytest.raises(TooManyRequestsError):
            await client.health()
        gate = client.rate_limit.gate_closed_for
        seen_at = asyncio.get_running_loop().time()
        assert 1.9 <= gate <= 2.0
    return seen_at - (2.0 - gate)


async def test_a_key_whose_gate_is_closed_is_kept_with_no_client_left() -> None:
    """After its window, with its client closed, a key whose gate is closed is still held: a new client sees the gate.

    Were it dropped, a new client on that key would start from nothing and send straight into another 429.
    """
    async with FakeSkipcall(rate_limit=RULE, faults=Faults(retry_after=2), any_key=True) as server:
        closed_at = await gate_a_key(server, "sk_gated")
        await asyncio.sleep(WINDOW + 0.2)  # its window is over; only the gate still matters
        await use_once(server, "sk_other")  # the store looks at its keys again
        assert held(server, "sk_gated") == {"sk_gated"}
        async with SkipcallClient("sk_gated", base_url=server.url, rate_limiting=POLICY) as again:
            gate = again.rate_limit.gate_closed_for
            left = 2.0 - (asyncio.get_running_loop().time() - closed_at)  # what is left of the 2 s, however slow
            assert left > 0.0, "the machine took the whole gate to get here"
            assert left - 0.1 <= gate <= left + 0.01
    assert server.rate_limited == 1


@pytest.mark.slow
async def test_a_key_whose_gate_was_closed_is_let_go_once_it_opens() -> None:
    """Once the gate has opened, the key's state no longer matters and the store lets it go."""
    async with FakeSkipcall(rate_limit=RULE, faults=Faults(retry_after=2), any_key=True) as server:
        await gate_a_key(server, "sk_gated")
        await asyncio.sleep(WINDOW + 0.2)
        await use_once(server, "sk_other_1")
        assert held(server, "sk_gated") == {"sk_gated"}
        await asyncio.sleep(2.0 - WINDOW)  # the gate opens
        await use_once(server, "sk_other_2")
        assert held(server, "sk_gated") == set()
    assert server.rate_limited == 1
