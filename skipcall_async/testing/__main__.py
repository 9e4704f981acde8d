"""``python -m skipcall_async.testing --port 8080``: run the fake server as a process and print its URL."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shlex

import attrs

from ._faults import PROFILES, Faults
from ._ratelimit import PLANS, RULES, NamedThrottler, Plan, RateLimitRule
from ._server import DEFAULT_KEY, FakeSkipcall


def main(argv: list[str] | None = None) -> None:
    args, rule, faults = parse(argv)
    asyncio.run(_serve(args, rule, faults))


def parse(argv: list[str] | None) -> tuple[argparse.Namespace, RateLimitRule, Faults]:
    """The command line as the server's settings; a bad value exits with argparse's usage message."""
    parser = argparse.ArgumentParser(prog="python -m skipcall_async.testing", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--plan", choices=sorted(PLANS), default="starter")
    parser.add_argument("--rule", choices=RULES, default="fixed-clock")
    parser.add_argument("--time-scale", type=float, default=1.0, help="10 makes a minute last 6 s")
    parser.add_argument("--skew", type=float, default=0.0, help="server clock offset in seconds")
    parser.add_argument("--limit", type=int, default=None, help="requests per window, overriding the plan's")
    parser.add_argument("--reset-format", choices=("epoch", "epoch-ms", "delta"), default=None)
    parser.add_argument(
        "--block-duration",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="nestjs-throttler only: refuse everything for this long once the limit is exceeded (0: no block; "
        "the library's own default is the window)",
    )
    parser.add_argument(
        "--throttler",
        action="append",
        default=[],
        type=_named_throttler,
        metavar="NAME=LIMIT/SECONDS[/BLOCK]",
        help="nestjs-throttler only, repeatable: a named throttler beside the plan's, e.g. short=10/1 (10 a second)",
    )
    parser.add_argument("--faults", choices=sorted(PROFILES), default="none")
    lies = parser.add_argument_group("lying headers (added to the --faults profile; the count itself stays true)")
    lies.add_argument(
        "--reset-a-day-away",
        action="store_true",
        help="admitted requests say the window ends in a day, while Remaining counts down truthfully",
    )
    lies.add_argument(
        "--retry-after",
        type=int,
        default=None,
        metavar="SECONDS",
        help="every 429 carries Retry-After: SECONDS, whatever the rule would say (0, or 86400 for a day)",
    )
    lies.add_argument(
        "--past-reset-on-429", action="store_true", help="every 429's X-RateLimit-Reset is a minute in the past"
    )
    parser.add_argument("--key", default=None, help="the accepted API key (default: the testing key)")
    parser.add_argument("--any-key", action="store_true", help="accept every bearer key, each with a budget of its own")
    args = parser.parse_args(argv)
    plan = PLANS[args.plan] if args.limit is None else Plan(limit=args.limit)
    try:
        rule = RateLimitRule(
            plan=plan,
            rule=args.rule,
            time_scale=args.time_scale,
            skew=args.skew,
            reset_format=args.reset_format,
            block_duration=args.block_duration,
            throttlers=tuple(args.throttler),
        )
        faults = _faults(args)
    except ValueError as exc:
        parser.error(str(exc))
    return args, rule, faults


def _named_throttler(text: str) -> NamedThrottler:
    """``NAME=LIMIT/SECONDS[/BLOCK]`` as a named throttler (seconds before time scaling)."""
    name, _, spec = text.partition("=")
    parts = spec.split("/")
    try:
        if len(parts) not in (2, 3):
            raise ValueError("expected NAME=LIMIT/SECONDS or NAME=LIMIT/SECONDS/BLOCK")
        block = float(parts[2]) if len(parts) == 3 else 0.0
        return NamedThrottler(name=name, plan=Plan(limit=int(parts[0]), window=float(parts[1])), block_duration=block)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: {exc}") from exc


def _faults(args: argparse.Namespace) -> Faults:
    """The profile, with the lying-header switches given on the command line added to it."""
    profile = PROFILES[args.faults]
    return attrs.evolve(
        profile,
        reset_a_day_away=profile.reset_a_day_away or args.reset_a_day_away,
        retry_after=profile.retry_after if args.retry_after is None else args.retry_after,
        past_reset_on_429=profile.past_reset_on_429 or args.past_reset_on_429,
    )


def pacing(args: argparse.Namespace, rule: RateLimitRule) -> list[str]:
    """What the server admits and how to change it: printed on start, since a gather that exceeds the limit
    otherwise waits for the next window in silence (a minute, unless the time is scaled)."""
    budget = "each key" if args.any_key else "the key"
    source = f"--limit {args.limit}" if args.limit is not None else f"plan {args.plan}"
    clock = (
        "real time"
        if rule.time_scale == 1
        else f"the plan's {rule.plan.window:g} s at --time-scale {rule.time_scale:g}"
    )
    block = f"; once over the limit, every request is refused for {rule.block:g} s" if rule.block else ""
    faults = "" if args.faults == "none" else f"; faults: {args.faults}"
    example = 10.0 if rule.time_scale == 1 else rule.time_scale * 2
    return [
        f"rate limit: {rule.plan.limit} requests per {rule.window:g} s window for {budget} ({source}, rule "
        f"{rule.rule}, {clock}){block}{faults}",
        f"more in one window get 429; a SkipcallClient waits for the next window instead (up to {rule.window:g} s)",
        f"change it with --plan {{{','.join(sorted(PLANS))}}}, --limit N, --rule RULE (see --help) or "
        f"--time-scale N (--time-scale {example:g} makes the window {rule.plan.window / example:g} s)",
    ]


def exports(url: str, key: str) -> list[str]:
    """The shell lines that point clients (the SDK, the ``skipcall`` command) in another terminal at this server."""
    return [
        "in another shell, point the SDK and the skipcall command at it:",
        f"  export SKIPCALL_BASE_URL={shlex.quote(url)} SKIPCALL_API_KEY={shlex.quote(key)}",
    ]


async def _serve(args: argparse.Namespace, rule: RateLimitRule, faults: Faults) -> None:
    keys: tuple[str, ...] = (args.key,) if args.key else (DEFAULT_KEY,)
    server = FakeSkipcall(
        api_keys=keys, rate_limit=rule, faults=faults, host=args.host, port=args.port, any_key=args.any_key
    )
    async with server:
        print(f"fake Skipcall API on {server.url} (key {server.api_key}); Ctrl-C to stop", flush=True)
        print("\n".join(exports(server.url, server.api_key)), flush=True)
        print("\n".join(pacing(args, rule)), flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
