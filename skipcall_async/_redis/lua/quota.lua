-- The quota rules of skipcall_async._quota (read that module's docstring) for every process on one key.
-- This file is the prelude of reserve.lua, record.lua and release.lua: each runs atomically, timed by Redis
-- TIME. KEYS: the state hash; the leases (a sorted set of lease ids scored by expiry); the stamps (a hash of
-- lease id -> the answered count when it was granted); the ends (a sorted set of end numbers scored by when
-- that request ended, kept for the plan's window); the waiting (a hash of process -> its requests waiting per
-- lane and when that entry lapses). Times travel as seconds relative to the script's TIME.

local SPOILT = -1  -- an epoch in which some request ended without this limit's headers
local BULK_EVERY = 10  -- see _quota.BULK_EVERY
local ENDS_KEPT_BEYOND = 2.0  -- see _quota.ENDS_KEPT_BEYOND

local function now_s()
  local t = redis.call('TIME')
  return tonumber(t[1]) + tonumber(t[2]) / 1000000
end

local function num(v)
  if v == false or v == nil or v == '' then return nil end
  return tonumber(v)
end

local function f(x)
  if x == nil then return '' end
  return string.format('%.6f', x)
end

local WINDOW = {'limit', 'bound', 'reset_at', 'window_id', 'span', 'assumed', 'least', 'earlier', 'earlier_until',
  'opened_at', 'probe_at', 'reset_stamp'}

-- The state: shared counters and flags, and a window per named limit (field "names" lists them).
local function load(keys)
  local raw = redis.call('HGETALL', keys[1])
  local h = {}
  for i = 1, #raw, 2 do h[raw[i]] = raw[i + 1] end
  local s = {granted = num(h.granted) or 0, answered = num(h.answered) or 0, gate_until = num(h.gate_until),
    headerless = h.headerless == '1', rate_limited = num(h.rate_limited) or 0, streak = num(h.streak) or 0,
    interactive_run = num(h.interactive_run) or 0, names = {}, windows = {}, dropped = {}}
  for name in string.gmatch(h.names or '', '%S+') do
    local p = 'w.' .. name .. '.'
    s.names[#s.names + 1] = name
    s.windows[name] = {limit = num(h[p .. 'limit']), bound = num(h[p .. 'bound']) or 0,
      reset_at = num(h[p .. 'reset_at']) or 0, window_id = num(h[p .. 'window_id']) or 0,
      span = num(h[p .. 'span']) or 0, assumed = h[p .. 'assumed'] == '1', least = num(h[p .. 'least']),
      earlier = num(h[p .. 'earlier']) or 0, earlier_until = num(h[p .. 'earlier_until']) or 0,
      opened_at = num(h[p .. 'opened_at']) or 0, probe_at = num(h[p .. 'probe_at']) or 0,
      reset_stamp = num(h[p .. 'reset_stamp']) or -1}
  end
  return s
end

local function save(keys, s, now, grace)
  local args = {'granted', f(s.granted), 'answered', f(s.answered), 'gate_until', f(s.gate_until),
    'headerless', s.headerless and '1' or '0', 'rate_limited', f(s.rate_limited), 'streak', f(s.streak),
    'interactive_run', f(s.interactive_run), 'names', table.concat(s.names, ' ')}
  local last = now
  if s.gate_until and s.gate_until > last then last = s.gate_until end
  for _, name in ipairs(s.names) do
    local w, p = s.windows[name], 'w.' .. name .. '.'
    for _, v in ipairs({p .. 'limit', f(w.limit), p .. 'bound', f(w.bound), p .. 'reset_at', f(w.reset_at),
        p .. 'window_id', f(w.window_id), p .. 'span', f(w.span), p .. 'assumed', w.assumed and '1' or '0',
        p .. 'least', f(w.least), p .. 'earlier', f(w.earlier), p .. 'earlier_until', f(w.earlier_until),
        p .. 'opened_at', f(w.opened_at), p .. 'probe_at', f(w.probe_at), p .. 'reset_stamp', f(w.reset_stamp)}) do
      args[#args + 1] = v
    end
    if w.reset_at > last then last = w.reset_at end
  end
  redis.call('HSET', keys[1], unpack(args))
  for _, name in ipairs(s.dropped) do  -- windows forgotten since the load
    if not s.windows[name] then
      local p = 'w.' .. name .. '.'
      for _, field in ipairs(WINDOW) do redis.call('HDEL', keys[1], p .. field) end
    end
  end
  local lease = redis.call('ZRANGE', keys[2], -1, -1, 'WITHSCORES')
  if lease[2] and tonumber(lease[2]) > last then last = tonumber(lease[2]) end
  local ttl = math.ceil((last - now + grace) * 1000)
  for i = 1, #keys do redis.call('PEXPIRE', keys[i], ttl) end
end

local function spoil(s)
  for _, name in ipairs(s.names) do s.windows[name].least = SPOILT end
end

-- With nothing in flight, the next request starts a new epoch.
local function end_epoch(s)
  if s.granted == s.answered then
    for _, name in ipairs(s.names) do s.windows[name].least = nil end
  end
end

-- One request ended now (answered, released or its lease expired).
local function add_end(keys, s, now, window)
  s.answered = s.answered + 1
  redis.call('ZADD', keys[4], now, s.answered)
  redis.call('ZREMRANGEBYSCORE', keys[4], '-inf', '(' .. (now - window - ENDS_KEPT_BEYOND))
end

-- Leases past their expiry end as if answered: a dead worker's request was counted, if ever, before it died.
local function expire(keys, s, now, window)
  local expired = redis.call('ZRANGEBYSCORE', keys[2], '-inf', now)
  if #expired > 0 then
    redis.call('ZREMRANGEBYSCORE', keys[2], '-inf', now)
    redis.call('HDEL', keys[3], unpack(expired))
    for _ = 1, #expired do add_end(keys, s, now, window) end
    spoil(s)
    end_epoch(s)
  end
  return #expired
end

local function forget(s)
  for _, name in ipairs(s.names) do s.dropped[#s.dropped + 1] = name end
  s.names, s.windows = {}, {}
end

-- The ageing bound of a window at now (0 when its limit is unknown).
local function aged(keys, s, w, now)
  if not w.limit or w.assumed then return 0 end
  local later = redis.call('ZCOUNT', keys[4], '(' .. (now - w.span), '+inf')
  local earlier = 0
  if now < w.earlier_until then earlier = w.earlier end
  return w.limit + s.answered - later - earlier
end

local function best(keys, s, w, now)
  return math.max(w.bound, aged(keys, s, w, now))
end

local function aged_at(keys, number, span)
  local ended = redis.call('ZSCORE', keys[4], number)
  if not ended then return math.huge end
  return tonumber(ended) + span
end

-- When the ageing bound next admits a request beyond held more (math.huge: only after more requests end).
local function next_ageing(keys, s, w, now, held)
  if not w.limit or w.assumed then return math.huge end
  local needed = s.granted - w.limit + 1 + held  -- the end that must be a span old
  if now < w.earlier_until then
    local sooner = aged_at(keys, needed + w.earlier, w.span)
    if sooner < w.earlier_until then return sooner end
    return math.max(w.earlier_until, aged_at(keys, needed, w.span))
  end
  return aged_at(keys, needed, w.span)
end

-- The earlier hits, from the first answer that describes a window: all live ones but its own request.
local function first_described(w, now, seen)
  if seen.limit then
    w.earlier = math.max(0, seen.limit - seen.remaining - 1)
    w.earlier_until = now + seen.span
  end
end

-- The window's reserve at now: held back from bulk for interactive requests to come (QuotaState._reserved).
local function reserved(w, now, share, margin)
  if not w.limit or share <= 0 or now >= w.reset_at then return 0 end
  local length = math.max(w.reset_at - w.opened_at, margin)
  local left = math.min(1.0, (w.reset_at - now) / length)
  return math.ceil(math.ceil(share * w.limit) * left - 1e-9)
end

-- When the reserve falls below free (a bulk request may then go); math.huge if free is none.
local function reserve_shrinks(w, free, share, margin)
  if free <= 0 or not w.limit then return math.huge end
  local held = math.ceil(share * w.limit)
  if held <= 0 then return -math.huge end
  local length = math.max(w.reset_at - w.opened_at, margin)
  return w.reset_at - length * (free - 1) / held
end

-- As QuotaState.admissible: nil if a request of lane may go now, else the earliest time worth asking again
-- (math.huge: after a response). Nothing is taken; a stated plan opens its assumed window here.
local function assume(s, now, q)
  if #s.names == 0 and q.assumed and q.assumed > 0 and s.rate_limited == 0 then
    s.names[1] = 'default'
    s.windows.default = {limit = q.assumed, bound = q.assumed + s.granted, reset_at = now + q.window,
      window_id = now + q.window, span = q.window, assumed = true, least = SPOILT, earlier = 0, earlier_until = 0,
      opened_at = now, probe_at = now + q.window, reset_stamp = -1}
  end
end

local function admissible(keys, s, now, lane, q)
  if s.gate_until and now < s.gate_until then return s.gate_until end
  assume(s, now, q)
  if s.headerless then return nil end
  local probing, wait_until = #s.names == 0, nil
  for _, name in ipairs(s.names) do
    local w = s.windows[name]
    local free = best(keys, s, w, now) - s.granted
    local held = 0
    if lane == 'bulk' then held = reserved(w, now, q.share, q.margin) end
    if free <= held then
      local e = w.probe_at + q.margin  -- (never before reset_at: the least of all the ends)
      if now < e then
        local freed = next_ageing(keys, s, w, now, held)  -- room may age out (bulk: beyond the reserve)
        e = math.min(e, freed, reserve_shrinks(w, free, q.share, q.margin))
        if not wait_until or e > wait_until then wait_until = e end
      else
        probing = true
      end
    end
  end
  if wait_until then return wait_until end
  if probing and s.granted - s.answered >= q.probe then return math.huge end
  return nil
end

-- As QuotaState.pick: the lane the next token goes to, given who waits (fleet-wide), or nil and when to ask again.
local function pick(keys, s, now, wi, wb, q)
  local order = {'interactive', 'bulk'}
  if wb > 0 and (wi == 0 or s.interactive_run >= BULK_EVERY - 1) then order = {'bulk', 'interactive'} end
  local retry_at = math.huge
  for _, lane in ipairs(order) do
    local waiting = wi
    if lane == 'bulk' then waiting = wb end
    if waiting > 0 then
      local blocked = admissible(keys, s, now, lane, q)
      if not blocked then return lane, nil end
      if blocked < retry_at then retry_at = blocked end
    end
  end
  return nil, retry_at
end

-- As QuotaState.commit: take the token pick chose (wb: bulk requests waiting when it was picked).
local function commit(s, lane, wb)
  s.granted = s.granted + 1
  if lane == 'bulk' then
    s.interactive_run = 0
  elseif wb > 0 then
    s.interactive_run = s.interactive_run + 1
  end
end

-- How many tokens a lane could take now (for fair shares, and for deciding whether to wake the fleet).
local function room(keys, s, now, lane, q)
  if s.gate_until and now < s.gate_until then return 0 end
  assume(s, now, q)
  if s.headerless then return 1000000000 end
  local least, probing = nil, #s.names == 0
  for _, name in ipairs(s.names) do
    local w = s.windows[name]
    local free = best(keys, s, w, now) - s.granted
    local held = 0
    if lane == 'bulk' then held = reserved(w, now, q.share, q.margin) end
    if free > held then
      if not least or free - held < least then least = free - held end
    elseif now < w.probe_at + q.margin then
      return 0
    else
      probing = true
    end
  end
  if probing then
    local probes = math.max(0, q.probe - (s.granted - s.answered))
    if not least or probes < least then least = probes end
  end
  return least or 0
end

-- This process's share of a lane's room: the processes waiting in the lane end the window with even counts
-- (each taken so far in this window plus its share), a process never given more than it waits for and what a
-- capped one leaves going to the others (water-filling). members: {taken, waiting} of each waiting process;
-- mine: this process's. The level is found by bisection: there are never many processes.
local function fair_share(room_now, members, mine)
  if mine.waiting <= 0 or room_now <= 0 then return 0 end
  local function given(level)
    local sum = 0
    for _, m in ipairs(members) do
      sum = sum + math.max(0, math.min(m.taken + m.waiting, level) - m.taken)
    end
    return sum
  end
  local low, high = 0, 0
  for _, m in ipairs(members) do high = math.max(high, m.taken + m.waiting) end
  if given(high) <= room_now then return mine.waiting end
  for _ = 1, 40 do
    local mid = (low + high) / 2
    if given(mid) <= room_now then low = mid else high = mid end
  end
  return math.min(mine.waiting, math.ceil(math.max(0, math.min(mine.taken + mine.waiting, low) - mine.taken) - 1e-9))
end

-- What marks the current window for the shares' counts: when the first named limit's window opened.
local function window_mark(s)
  if #s.names == 0 then return '-' end
  return f(s.windows[s.names[1]].opened_at)
end

-- One named limit of one held response, as QuotaState._merge (the stamp is the answered token's).
local function merge(s, now, seen, stamp, tolerance)
  local bound = seen.remaining + 1 + stamp
  local window_id, reset_at = now + seen.window_id_in, now + seen.reset_in
  local w = s.windows[seen.name]
  if not w then  -- (the interpreter reads a bounded number of named limits)
    s.names[#s.names + 1] = seen.name
    w = {limit = seen.limit, bound = bound, reset_at = reset_at, window_id = window_id, span = seen.span,
      assumed = false, least = SPOILT, earlier = 0, earlier_until = 0, opened_at = now, probe_at = reset_at,
      reset_stamp = stamp}
    s.windows[seen.name] = w
    first_described(w, now, seen)
    return
  end
  if w.assumed then first_described(w, now, seen) end
  if seen.limit then w.limit = seen.limit end
  -- every process's span is an upper bound of how long the server counts a request: the shortest holds
  if w.assumed or seen.span < w.span then w.span = seen.span end
  if w.least ~= SPOILT then
    if not w.least or seen.remaining < w.least then w.least = seen.remaining end
    bound = math.max(bound, s.answered + w.least)
  end
  if w.assumed or bound > w.bound then w.bound = bound end
  if w.assumed or now >= w.reset_at or window_id > w.window_id + tolerance then
    w.window_id, w.reset_at, w.opened_at = window_id, reset_at, now
    w.probe_at, w.reset_stamp = reset_at, stamp
  elseif window_id >= w.window_id - tolerance then
    if window_id < w.window_id then w.window_id = window_id end
    if reset_at < w.reset_at then w.reset_at = reset_at end
    -- a probe goes after the end the newest answers give (see QuotaState._merge)
    if stamp > w.reset_stamp then
      w.probe_at, w.reset_stamp = reset_at, stamp
    elseif stamp == w.reset_stamp and reset_at < w.probe_at then
      w.probe_at = reset_at
    end
  end
  w.assumed = false
end

-- The quota as client.rate_limit shows it: limit, remaining, reset in, in flight, gate closed for, 429s.
local function view(keys, s, now)
  local binding, free = nil, nil
  for _, name in ipairs(s.names) do
    local w = s.windows[name]
    if now < w.reset_at then
      local room_w = best(keys, s, w, now) - s.granted
      if not binding or room_w < free then binding, free = w, room_w end
    end
  end
  local limit, remaining, reset_in = nil, '', ''
  if binding then
    limit = binding.limit
    remaining = f(math.max(0, free))
    reset_in = f(binding.reset_at - now)
  elseif s.windows.default then
    limit = s.windows.default.limit
  elseif #s.names > 0 then
    limit = s.windows[s.names[1]].limit
  end
  local gate = 0
  if s.gate_until and s.gate_until > now then gate = s.gate_until - now end
  return {f(limit), remaining, reset_in, tostring(s.granted - s.answered), f(gate), tostring(s.rate_limited)}
end

-- The ends of every window, to tell whether a wake-up is due (a waiter's timer may now be wrong).
local function ends(s)
  local out = {}
  for _, name in ipairs(s.names) do out[name] = s.windows[name].reset_at end
  return out
end

local function ends_moved(before, s)
  local count = 0
  for name, at in pairs(before) do
    count = count + 1
    local w = s.windows[name]
    if not w or math.abs(w.reset_at - at) > 0.01 then return true end
  end
  return count ~= #s.names
end
