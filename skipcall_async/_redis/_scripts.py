"""The fleet's quota in Redis: three Lua scripts, one per request step, each atomic and timed by Redis ``TIME``.

They run the rules of ``_quota.QuotaState`` (read its docstring; the tests run both against the same cases)
for every process on a key at once:

* ``reserve``: grant up to N tokens in one round trip, each as a lease (an id in a sorted set scored by its
  expiry), and say when to ask again;
* ``record``: merge one response's observation, end its lease, log its arrival, and publish a wake-up when
  capacity rose or the window's end moved;
* ``release``: end a lease whose request got no response, and publish a wake-up.

Requests in flight are the unexpired leases, so a worker killed while holding some gives them back when they
expire: to the next window, since their requests may have been counted in the current one. Response arrivals
are a sorted set too, kept for one window, for the ageing rule. The keys of one API key share a ``{hash tag}``
(Redis Cluster keeps them on one node) and carry a TTL, so a fleet that stops leaves nothing behind. Times
travel as seconds relative to the script's ``TIME``: every process compares instants on the Redis clock, never
on its own. Every script returns the quota as the
fleet sees it, for ``client.rate_limit``.
"""

from __future__ import annotations

import math
from typing import Final

import attrs

from .._quota import ARRIVAL_SLACK, Observation, QuotaView

STATE_FIELDS: Final = ("limit", "remaining", "reset_at", "window_id", "assumed", "gate_until", "headerless",
                       "rate_limited", "streak", "probes", "budget")  # fmt: skip
KEY_GRACE: Final = 120.0  # seconds every key outlives the last thing it remembers (window, gate, lease)

_PRELUDE = """
local function now_s()
  local t = redis.call('TIME')
  return tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local function num(v)
  if v == false or v == nil or v == '' then return nil end
  return tonumber(v)
end
local function load(key)
  local v = redis.call('HMGET', key, 'limit', 'remaining', 'reset_at', 'window_id', 'assumed', 'gate_until',
    'headerless', 'rate_limited', 'streak', 'probes', 'budget')
  return {limit = num(v[1]), remaining = num(v[2]) or 0, reset_at = num(v[3]), window_id = num(v[4]),
    assumed = v[5] == '1', gate_until = num(v[6]), headerless = v[7] == '1', rate_limited = num(v[8]) or 0,
    streak = num(v[9]) or 0, probes = v[10] or ' ', budget = num(v[11]) or 0}
end
-- The leases granted as probes since the window was last opened, as ' id id ... ': taking one out says
-- whether the request now ending was a probe.
local function answered_probe(s, id)
  local at = string.find(s.probes, ' ' .. id .. ' ', 1, true)
  if not at then return false end
  s.probes = string.sub(s.probes, 1, at) .. string.sub(s.probes, at + #id + 2)
  return true
end
local function f(x)
  if x == nil then return '' end
  return string.format('%.6f', x)
end
local function b(x) if x then return '1' end return '0' end
local function save(keys, s, now, grace)
  redis.call('HSET', keys[1], 'limit', f(s.limit), 'remaining', f(s.remaining), 'reset_at', f(s.reset_at),
    'window_id', f(s.window_id), 'assumed', b(s.assumed), 'gate_until', f(s.gate_until),
    'headerless', b(s.headerless), 'rate_limited', f(s.rate_limited), 'streak', f(s.streak), 'probes', s.probes,
    'budget', f(s.budget))
  local last = now
  if s.reset_at and s.reset_at > last then last = s.reset_at end
  if s.gate_until and s.gate_until > last then last = s.gate_until end
  local lease = redis.call('ZRANGE', keys[2], -1, -1, 'WITHSCORES')
  if lease[2] and tonumber(lease[2]) > last then last = tonumber(lease[2]) end
  local ttl = math.ceil((last - now + grace) * 1000)
  for i = 1, #keys do redis.call('PEXPIRE', keys[i], ttl) end
end
local function in_flight(keys, s, now)
  -- An expired lease's request may well have reached the server (its worker died with it in flight): it counts
  -- as spent in the window it was taken in, and as an arrival for the ageing rule, not as capacity given back.
  local expired = redis.call('ZRANGEBYSCORE', keys[2], '-inf', now)
  s.expired = #expired
  if #expired > 0 then
    redis.call('ZREMRANGEBYSCORE', keys[2], '-inf', now)
    if s.reset_at and now < s.reset_at then s.remaining = math.max(0, s.remaining - #expired) end
    for i = 1, #expired do
      redis.call('ZADD', keys[3], now, expired[i])
      answered_probe(s, expired[i])
    end
  end
  return redis.call('ZCARD', keys[2])
end
local function capacity(s, now, flying, probe, margin)
  if s.gate_until and now < s.gate_until then return 0 end
  if s.reset_at and now < s.reset_at + margin then return math.max(0, math.min(s.remaining - flying, s.budget)) end
  if s.headerless then return 1000000000 end
  return math.max(0, probe - flying)
end
local function view(s, now, flying)
  local current = s.reset_at and now < s.reset_at
  local remaining, reset_in = '', ''
  if current then
    remaining = f(math.max(0, math.min(s.remaining - flying, s.budget)))
    reset_in = f(s.reset_at - now)
  end
  local gate = 0
  if s.gate_until and s.gate_until > now then gate = s.gate_until - now end
  return {f(s.limit), remaining, reset_in, tostring(flying), f(gate), tostring(s.rate_limited)}
end
"""

RESERVE: Final = (
    _PRELUDE
    + """
-- ARGV: probe, assumed limit (0: none), plan window, margin, lease seconds, grace, then the lease ids wanted
local probe, assumed, window, margin = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local lease, grace = tonumber(ARGV[5]), tonumber(ARGV[6])
local now = now_s()
local s = load(KEYS[1])
local flying = in_flight(KEYS, s, now)
local granted, wanted = 0, {}
for i = 7, #ARGV do
  if redis.call('ZSCORE', KEYS[2], ARGV[i]) then granted = granted + 1 else wanted[#wanted + 1] = ARGV[i] end
end
local take, retry_at = 0, nil
if s.gate_until and now < s.gate_until then
  retry_at = s.gate_until
else
  if assumed > 0 and not s.reset_at and s.rate_limited == 0 then
    s.remaining, s.window_id, s.reset_at, s.assumed = assumed, now + window, now + window, true
    s.probes, s.budget = ' ', assumed - flying
    if not s.limit then s.limit = assumed end
  end
  take = math.min(#wanted, capacity(s, now, flying, probe, margin))
  if s.reset_at and now < s.reset_at + margin then
    s.budget = s.budget - take
  elseif not s.headerless then
    for i = 1, take do s.probes = s.probes .. wanted[i] .. ' ' end  -- granted after the window's end: probes
  end
  if take < #wanted then
    if s.reset_at and now < s.reset_at + margin then retry_at = s.reset_at + margin end
    local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
    if oldest[2] and (not retry_at or tonumber(oldest[2]) < retry_at) then retry_at = tonumber(oldest[2]) end
  end
end
for i = 1, take do redis.call('ZADD', KEYS[2], now + lease, wanted[i]) end
save(KEYS, s, now, grace)
local reply = view(s, now, flying + take)
local retry_in = '-1'
if retry_at then retry_in = f(math.max(0, retry_at - now)) end
table.insert(reply, 1, retry_in)
table.insert(reply, 1, tostring(granted + take))
return reply
"""
)

RECORD: Final = (
    _PRELUDE
    + f"local arrival_slack = {ARRIVAL_SLACK!r}  -- see _quota.ARRIVAL_SLACK\n"
    + """
-- ARGV: lease id, probe, margin, plan window, tolerance, backoff base, jitter, grace, channel, then the
--       observation: rate limited (0/1), limit, remaining, window id in, reset in, gate in, ageing window ('' = none)
local id, probe, margin, window = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local tolerance, base, jitter, grace, channel = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]),
  tonumber(ARGV[8]), ARGV[9]
local limited, limit, remaining = ARGV[10] == '1', num(ARGV[11]), num(ARGV[12])
local window_id_in, reset_in, gate_in, ageing = num(ARGV[13]), num(ARGV[14]), num(ARGV[15]), num(ARGV[16])
local now = now_s()
local s = load(KEYS[1])
local before_flying = in_flight(KEYS, s, now)
local before, before_reset = capacity(s, now, before_flying, probe, margin), s.reset_at
local was_probe = answered_probe(s, id)
local held = redis.call('ZREM', KEYS[2], id) == 1
local flying = redis.call('ZCARD', KEYS[2])
if not limited then
  redis.call('ZADD', KEYS[3], now, id)
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - window - arrival_slack)
end
if limit then s.limit = limit end
if remaining and window_id_in and reset_in then
  s.headerless = false
  local window_id, reset_at = now + window_id_in, now + reset_in
  local current = s.window_id
  if current and not s.assumed and window_id < current - tolerance then
    -- An older window's late response: its request, in flight when this window was learned and so taken from
    -- its budget, was not counted in it.
    if held then s.budget = s.budget + 1 end
  elseif window_id > now then
    local over = s.reset_at ~= nil and now >= s.reset_at
    if current == nil or s.reset_at == nil or s.assumed or (was_probe and over) or window_id > current + tolerance then
      s.remaining, s.window_id, s.reset_at, s.assumed = remaining, window_id, reset_at, false
      s.probes = ' '  -- a probe still in flight was sent before this window was known: no longer one
      s.budget = remaining - flying  -- requests in flight may all be counted after this answer
    else
      if remaining < s.remaining then s.remaining = remaining end
      if window_id < current then s.window_id = window_id end
      if reset_at < s.reset_at then s.reset_at = reset_at end
    end
  end
  local known = limit and (limit - remaining - flying)  -- live hits whose responses arrived
  if known and ageing and s.reset_at and known > 0 then
    local counted = redis.call('ZREVRANGE', KEYS[3], known - 1, known - 1, 'WITHSCORES')
    if counted[2] and tonumber(counted[2]) + ageing < s.reset_at then s.reset_at = tonumber(counted[2]) + ageing end
  end
elseif not s.reset_at and not s.assumed and not limited then
  s.headerless = true
end
if limited then
  s.rate_limited = s.rate_limited + 1
  if not s.gate_until or now >= s.gate_until then s.streak = s.streak + 1 end  -- a burst in flight counts once
  local wait = gate_in
  if not wait then wait = jitter * math.min(window, base * 2 ^ (s.streak - 1)) end
  if not s.gate_until or now + wait > s.gate_until then s.gate_until = now + wait end
  s.reset_at = nil
  s.headerless = false
else
  s.streak = 0
end
save(KEYS, s, now, grace)
-- Waiters' timers are wrong when the window's end moved (sooner, or a new window, even one with nothing left).
local moved = (before_reset == nil) ~= (s.reset_at == nil)
if before_reset and s.reset_at and math.abs(s.reset_at - before_reset) > 0.01 then moved = true end
if capacity(s, now, flying, probe, margin) > before or moved then redis.call('PUBLISH', channel, 'record') end
return view(s, now, flying)
"""
)

RELEASE: Final = (
    _PRELUDE
    + """
-- ARGV: lease id, probe, margin, grace, channel
local id, probe, margin, grace, channel = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local now = now_s()
local s = load(KEYS[1])
local before_flying = in_flight(KEYS, s, now)
local before = capacity(s, now, before_flying, probe, margin)
local was_probe = answered_probe(s, id)
local ended = redis.call('ZREM', KEYS[2], id) == 1
if ended then s.budget = s.budget + 1 end  -- no response: its token goes back
if ended or s.expired > 0 or was_probe then
  save(KEYS, s, now, grace)
end
local flying = redis.call('ZCARD', KEYS[2])
if capacity(s, now, flying, probe, margin) > before then redis.call('PUBLISH', channel, 'release') end
return view(s, now, flying)
"""
)


@attrs.frozen(kw_only=True)
class Grant:
    """A reservation's outcome: how many of the ids asked for were granted, and when to ask again."""

    granted: int
    retry_in: float  # seconds; inf when only a response (or a lease expiry, for dead workers) frees a token
    view: QuotaView  # the fleet's, times relative to the script's run


def _optional(raw: str) -> float | None:
    return float(raw) if raw else None


def parse_view(reply: list[str]) -> QuotaView:
    """A script's view reply: limit, remaining, reset in, in flight, gate closed for, rate limited."""
    limit, remaining = _optional(reply[0]), _optional(reply[1])
    return QuotaView(
        limit=None if limit is None else int(limit),
        remaining=None if remaining is None else int(remaining),
        reset_in=_optional(reply[2]),
        in_flight=int(reply[3]),
        gate_closed_for=float(reply[4]),
        rate_limited=int(reply[5]),
    )


def parse_grant(reply: list[str]) -> Grant:
    """The reserve script's reply: granted, retry in (-1: after a response), then a view."""
    retry_in = float(reply[1])
    return Grant(granted=int(reply[0]), retry_in=math.inf if retry_in < 0 else retry_in, view=parse_view(reply[2:]))


def _number(value: float | None) -> str:
    return "" if value is None else repr(float(value))


def observation_args(seen: Observation) -> list[str]:
    """An observation as the record script's trailing arguments."""
    return [
        "1" if seen.rate_limited else "0",
        "" if seen.limit is None else str(seen.limit),
        "" if seen.remaining is None else str(seen.remaining),
        _number(seen.window_id_in),
        _number(seen.reset_in),
        _number(seen.gate_in),
        _number(seen.window),
    ]
