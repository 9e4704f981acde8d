-- ARGV: lease id, stamp, probe, margin, plan window, tolerance, backoff base, jitter, grace, channel, then
--       the observation: rate limited (0/1), gate in ('' = no hint), then per named limit six fields: name,
--       limit ('' = unknown), remaining, window id in, reset in, span.
-- Reply: the view.
local id, stamp, probe, margin = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local window, tolerance, base, jitter = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local grace, channel = tonumber(ARGV[9]), ARGV[10]
local limited, gate_in = ARGV[11] == '1', num(ARGV[12])
local now = now_s()
local rules = {probe = probe, margin = margin, share = 0}  -- for the interactive room: what a wake-up offers
local s = load(KEYS)
expire(KEYS, s, now, window)
local before, before_ends = room(KEYS, s, now, 'interactive', rules), ends(s)
local held = redis.call('ZREM', KEYS[2], id) == 1
if held then
  redis.call('HDEL', KEYS[3], id)
  add_end(KEYS, s, now, window)
end
local described = {}
for i = 13, #ARGV, 6 do
  described[ARGV[i]] = true
  merge(s, now, {name = ARGV[i], limit = num(ARGV[i + 1]), remaining = tonumber(ARGV[i + 2]),
    window_id_in = tonumber(ARGV[i + 3]), reset_in = tonumber(ARGV[i + 4]), span = tonumber(ARGV[i + 5])},
    stamp, tolerance)
end
if held then  -- a limit this answer did not describe may have counted it unseen
  for _, name in ipairs(s.names) do
    if not described[name] then s.windows[name].least = SPOILT end
  end
end
end_epoch(s)
if next(described) then
  s.headerless = false
elseif #s.names == 0 and not limited then
  s.headerless = true
end
if limited then
  s.rate_limited = s.rate_limited + 1
  if not s.gate_until or now >= s.gate_until then s.streak = s.streak + 1 end  -- a burst in flight counts once
  local wait = gate_in
  if not wait then wait = jitter * math.min(window, base * 2 ^ (s.streak - 1)) end
  if not s.gate_until or now + wait > s.gate_until then s.gate_until = now + wait end
  forget(s)  -- what we believed was wrong: probe after the gate opens
  s.headerless = false
else
  s.streak = 0
end
save(KEYS, s, now, grace)
if room(KEYS, s, now, 'interactive', rules) > before or ends_moved(before_ends, s) then
  redis.call('PUBLISH', channel, 'record')
end
return view(KEYS, s, now)
