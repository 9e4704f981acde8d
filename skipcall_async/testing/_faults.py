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
        far_future_reset: Every response, 429s included, says nothing is left until a day from now.
        reset_a_day_away: An admitted request's `X-RateLimit-Reset` says the window ends in a day, while
            `X-RateLimit-Remaining` counts down truthfully (the rule still admits and resets as always).
        retry_after: Every 429 carries `Retry-After` with this many seconds, whatever the rule would say
            (0: "now"; 86400: "tomorrow"). None: the rule's own.
        past_reset_on_429: Every 429's `X-RateLimit-Reset` is a minute in the past (a server whose clock or
            header is wrong).
    """

    error_rate: float = 0.0
    reset_rate: float = 0.0
    latency: float = 0.0
    malformed_rate: float = 0.0
    html_502_rate: float = 0.0
    rate_headers: str = "ok"
    far_future_reset: bool = False
    reset_a_day_away: bool = False
    retry_after: int | None = attrs.field(default=None)
    past_reset_on_429: bool = False

    @retry_after.validator
    def _check_retry_after(self, _: attrs.Attribute[int | None], value: int | None) -> None:
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise ValueError(f"retry_after must be whole seconds, 0 or more, or None; got {value!r}")


NONE: Final = Faults()

PROFILES: Final = {
    "none": NONE,
    "flaky": Faults(error_rate=0.05, reset_rate=0.02, html_502_rate=0.02, latency=0.01),
    "slow": Faults(latency=0.2),
    "no-headers": Faults(rate_headers="missing"),
    "garbage-headers": Faults(rate_headers="garbage"),
    "past-429-hints": Faults(retry_after=0, past_reset_on_429=True),
    "reset-a-day-away": Faults(reset_a_day_away=True),
    "back-tomorrow": Faults(reset_a_day_away=True, retry_after=86_400),
}
