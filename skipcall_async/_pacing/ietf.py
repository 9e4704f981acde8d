"""The IETF ``RateLimit`` fields (draft-ietf-httpapi-ratelimit-headers), in every revision servers send today.

* draft-6 and earlier: ``RateLimit-Limit``, ``RateLimit-Remaining``, ``RateLimit-Reset`` (seconds until the reset)
  and ``RateLimit-Policy: 100;w=10`` (each quota with its window in seconds);
* draft-7: one ``RateLimit: limit=100, remaining=99, reset=10`` (a Dictionary) with the same ``RateLimit-Policy``;
* draft-8 and later: ``RateLimit: "name";r=99;t=10``, one item per policy, with
  ``RateLimit-Policy: "name";q=100;w=10`` (the quota ``q``, the window ``w``, the unit ``qu``).

The structured fields are parsed as RFC 8941/9651 define them (``http-sf``). A field that does not parse, a
negative or non-numeric value, a policy counting something else than requests (``qu`` other than
``"requests"``): ignored, never an error. Pure: no I/O, no clock.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Literal, NamedTuple

import http_sf
from http_sf.types import Token

logger = logging.getLogger("skipcall_async")

_DRAFT_7_KEYS = frozenset({"limit", "remaining", "reset"})


class Policy(NamedTuple):
    """One rate limit as the IETF fields state it; ``reset_after`` in seconds, ``window`` in seconds."""

    name: str
    limit: int | None
    remaining: int | None
    reset_after: float | None
    window: float | None


def ietf_policies(headers: Mapping[str, str]) -> tuple[Policy, ...]:
    """Every limit the IETF fields of one response describe (none: no such field, or none readable)."""
    combined = headers.get("RateLimit")
    policy_field = headers.get("RateLimit-Policy")
    if combined is None and policy_field is None and "RateLimit-Remaining" not in headers:
        return ()  # the common case: no IETF field at all
    if combined is not None:
        draft_7 = _parsed(combined, "dictionary", "RateLimit")
        if isinstance(draft_7, dict) and draft_7 and set(draft_7) <= _DRAFT_7_KEYS:
            return _single(
                "ietf",
                _count(draft_7.get("limit")),
                _count(draft_7.get("remaining")),
                _seconds(draft_7.get("reset")),
                policy_field,
            )
        return _named(combined, policy_field)
    return _single(
        "ietf",
        _count(_first(_parsed(headers.get("RateLimit-Limit"), "list", "RateLimit-Limit"))),
        _count(_parsed(headers.get("RateLimit-Remaining"), "item", "RateLimit-Remaining")),
        _seconds(_parsed(headers.get("RateLimit-Reset"), "item", "RateLimit-Reset")),
        policy_field,
    )


def _single(
    name: str, limit: int | None, remaining: int | None, reset_after: float | None, policy_field: str | None
) -> tuple[Policy, ...]:
    """draft-6 and draft-7: one limit; its window is that of the ``RateLimit-Policy`` item of the same quota."""
    if limit is None and remaining is None and reset_after is None:
        return ()
    window = None
    parsed = _parsed(policy_field, "list", "RateLimit-Policy")
    for quota, parameters in parsed if isinstance(parsed, list) else ():
        if _count((quota, {})) == limit or window is None:
            window = _seconds(parameters.get("w"))
    return (Policy(name, limit, remaining, reset_after, window),)


def _named(combined: str, policy_field: str | None) -> tuple[Policy, ...]:
    """draft-8 and later: one item per named policy, its quota and window in ``RateLimit-Policy``."""
    parsed = _parsed(combined, "list", "RateLimit")
    if not isinstance(parsed, list):
        return ()
    quotas: dict[str, tuple[int | None, float | None]] = {}
    policies = _parsed(policy_field, "list", "RateLimit-Policy")
    for name, parameters in policies if isinstance(policies, list) else ():
        if _name(name) is not None and str(parameters.get("qu", "requests")) == "requests":
            quotas[str(name)] = (_count(parameters.get("q")), _seconds(parameters.get("w")))
    found = []
    for name, parameters in parsed:
        named = _name(name)
        if named is None or (policies and named not in quotas):
            continue  # (a policy of another unit, or an item that names none)
        limit, window = quotas.get(named, (None, None))
        found.append(Policy(named, limit, _count(parameters.get("r")), _seconds(parameters.get("t")), window))
    return tuple(found)


def _name(value: Any) -> str | None:
    """A policy's name: a String or a Token (a str subclass, or http-sf's own Token type)."""
    return str(value) if isinstance(value, str | Token) else None


def _parsed(raw: str | None, kind: Literal["list", "dictionary", "item"], field: str) -> Any:
    """A structured field as ``http-sf`` reads it (list items and dictionary members as (value, parameters));
    None when absent or malformed."""
    if raw is None:
        return None
    try:
        return http_sf.parse(raw.encode("latin-1", "replace"), tltype=kind)
    except (ValueError, UnicodeError) as error:
        logger.debug("ignoring unparsable %s header %r (%s)", field, raw, error)
        return None


def _first(parsed: Any) -> Any:
    return parsed[0] if isinstance(parsed, list) and parsed else None


def _number(member: Any) -> float | None:
    """The number a bare value or a (value, parameters) member holds, if it is a non-negative one."""
    value = member[0] if isinstance(member, tuple) else member
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal) or not 0 <= value < 1e15:
        return None
    return float(value)


def _count(member: Any) -> int | None:
    number = _number(member)
    return None if number is None else int(number)


def _seconds(member: Any) -> float | None:
    return _number(member)
