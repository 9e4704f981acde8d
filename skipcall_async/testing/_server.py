"""``FakeSkipcall``: the fake API on a real socket on 127.0.0.1, started and stopped with ``async with``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Self

from aiohttp import web

from ._app import PARSER_LINE_LIMIT, Api, RecordedRequest
from ._faults import NONE, Faults
from ._handlers import ROUTE_NAMES, build_app
from ._ratelimit import RateLimitRule
from ._store import Store

DEFAULT_KEY: Final = "sk_test_fake_skipcall"
INELIGIBLE_KEY: Final = "sk_test_plan_not_eligible"


class FakeSkipcall:
    """An in-process Skipcall API for tests and demos, on a real socket: `async with FakeSkipcall() as server:`.

    It serves the 21 operations over seeded, deterministic data; writes persist for the server's life.

    Args:
        api_keys: The keys accepted; any other gets a 401. The first is `api_key`.
        any_key: Accept every non-empty bearer key as well, each counted in a budget of its own (a
            multi-tenant load).
        ineligible_keys: Keys that get a 403 `PLAN_NOT_ELIGIBLE`.
        rate_limit: How requests are counted: plan, rule, time scale, clock skew (see
            [`RateLimitRule`][skipcall_async.testing.RateLimitRule]). None: the starter plan, 100 a minute.
        faults: Failures injected on every route (see [`Faults`][skipcall_async.testing.Faults]). Default none.
        route_faults: Failures for single routes, keyed by operation name such as `"get_call"`; they take the
            place of `faults` there.
        seed: Seed of the generated data (and of the faults' dice).
        calls: Number of calls generated.
        contacts: Number of contacts generated.
        host: Interface to listen on.
        port: Port to listen on; 0 picks a free one.

    Attributes:
        api_key: The first of `api_keys`, for the client under test.
        url: The base URL once started (`http://127.0.0.1:<port>`), for `SkipcallClient(base_url=...)`.

    Raises:
        ValueError: `route_faults` names a route that does not exist.
    """

    def __init__(
        self,
        *,
        api_keys: tuple[str, ...] = (DEFAULT_KEY,),
        ineligible_keys: tuple[str, ...] = (INELIGIBLE_KEY,),
        rate_limit: RateLimitRule | None = None,
        faults: Faults = NONE,
        route_faults: Mapping[str, Faults] | None = None,
        seed: int = 7,
        calls: int = 500,
        contacts: int = 200,
        host: str = "127.0.0.1",
        port: int = 0,
        any_key: bool = False,
    ) -> None:
        _check_route_names(route_faults or {})
        self.api = Api(
            store=Store(seed=seed, calls=calls, contacts=contacts),
            api_keys=api_keys,
            ineligible_keys=ineligible_keys,
            rate_limit=rate_limit or RateLimitRule(),
            faults=faults,
            route_faults=route_faults or {},
            seed=seed,
            any_key=any_key,
        )
        self.api_key = api_keys[0]
        self._host, self._port = host, port
        self._runner: web.AppRunner | None = None
        self.url = ""

    @property
    def store(self) -> Store:
        """The in-memory data; tests may read or change it directly."""
        return self.api.store

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received, in arrival order."""
        return self.api.requests

    @property
    def rate_limited(self) -> int:
        """How many 429 responses the server has sent."""
        return self.api.rate_limited

    async def start(self) -> None:
        """Listen on the configured host and port (0: an ephemeral port); sets `url`."""
        self._runner = web.AppRunner(build_app(self.api), access_log=None, max_line_size=PARSER_LINE_LIMIT)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"

    async def stop(self) -> None:
        """Close the socket and every open connection."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def __repr__(self) -> str:
        """Where it listens and how it limits, for test output and logs; never a key."""
        where = self.url if self._runner is not None else ("stopped" if self.url else "not started")
        rule = self.api.rule
        block = f" block={rule.block_duration:g}s" if rule.block_duration else ""
        return (
            f"<FakeSkipcall {where} plan={rule.plan.limit}/{rule.plan.window:g}s rule={rule.rule}{block}"
            f" time_scale={rule.time_scale:g}>"
        )

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()


def _check_route_names(route_faults: Mapping[str, Faults]) -> None:
    """Refuse a fault for a route that does not exist: a typo would otherwise inject nothing, silently."""
    unknown = [name for name in route_faults if name not in ROUTE_NAMES]
    if unknown:
        raise ValueError(
            f"route_faults names unknown route(s) {', '.join(map(repr, unknown))}; "
            f"known routes: {', '.join(sorted(ROUTE_NAMES))}"
        )
