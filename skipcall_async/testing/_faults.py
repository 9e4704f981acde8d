"""Fault injection for the fake server: each fault a probability or a switch, per server or per route."""

from __future__ import annotations

from typing import Final

import attrs


@attrs.frozen(kw_only=True)
class Faults:
    """What can go wrong on a route; pass it as `FakeSkipcall(faults=...)` or per route in `route_faults`.

    Rates are probabilities per request, from 0 to 1; every default injects nothing. `FAULT_PROFILES` names a few
    ready-made sets (`"flaky"`, `"slow"`, ...).

    Attributes:
        error_rate: Share of requests answered with a JSON 503.
        reset_rate: Share of requests whose connection is cut mid-response.
        latency: Seconds added to every response.
        malformed_rate: Share of requests answered with a 200 whose JSON is truncated.
        html_502_rate: Share of requests answered with a proxy's HTML 502 page.
        rate_headers: `"ok"`, `"missing"` (no rate-limit headers) or `"garbage"` (unreadable values).
        far_future_reset: The reset header claims the window ends in a day.
    """

    error_rate: float = 0.0
    reset_rate: float = 0.0
    latency: float = 0.0
    malformed_rate: float = 0.0
    html_502_rate: float = 0.0
    rate_headers: str = "ok"
    far_future_reset: bool = False


NONE: Final = Faults()

PROFILES: Final = {
    "none": NONE,
    "flaky": Faults(error_rate=0.05, reset_rate=0.02, html_502_rate=0.02, latency=0.01),
    "slow": Faults(latency=0.2),
    "no-headers": Faults(rate_headers="missing"),
    "garbage-headers": Faults(rate_headers="garbage"),
}
