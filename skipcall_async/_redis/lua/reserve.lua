-- ARGV: probe, assumed limit (0: none), plan window, margin, lease seconds, grace, reserve share, this process's
--       id, seconds its waiting entry lasts, channel, count of interactive ids, then the lease ids wanted:
--       interactive ones first, then bulk ones.
-- Reply: interactive granted, bulk granted, retry in (-1: after a response or a wake-up), the view (6 fields),
--       then each granted lease's stamp, interactive ones first.
local q = {probe = tonumber(ARGV[1]), assumed = tonumber(ARGV[2]), window = tonumber(ARGV[3]),
  margin = tonumber(ARGV[4]), share = tonumber(ARGV[7])}
local lease, grace, me, lasts, channel = tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[8], tonumber(ARGV[9]), ARGV[10]
local interactive_ids = tonumber(ARGV[11])
local now = now_s()
local s = load(KEYS)
expire(KEYS, s, now, q.window)
assume(s, now, q)
local mark = window_mark(s)

-- Ids asked for again after a lost answer were granted then: their stamps, not a second token.
local stamps = {interactive = {}, bulk = {}}
local wanted = {interactive = {}, bulk = {}}
for i = 12, #ARGV do
  local lane = 'bulk'
  if i - 11 <= interactive_ids then lane = 'interactive' end
  local held = redis.call('HGET', KEYS[3], ARGV[i])
  if held then table.insert(stamps[lane], held) else table.insert(wanted[lane], ARGV[i]) end
end

-- Every process waiting on the key: its requests waiting per lane, and what it took in this window. An entry
-- lapses unless renewed: a process that stopped asking stops counting.
local taken = {interactive = 0, bulk = 0}
local members = {interactive = {}, bulk = {}}
local others = {interactive = 0, bulk = 0}
local entries = redis.call('HGETALL', KEYS[5])
for i = 1, #entries, 2 do
  local member, value = entries[i], entries[i + 1]
  local wi, wb, lapses, its_mark, ti, tb = string.match(value, '(%S+) (%S+) (%S+) (%S+) (%S+) (%S+)')
  if not lapses or tonumber(lapses) <= now then
    redis.call('HDEL', KEYS[5], member)
  else
    if its_mark ~= mark then ti, tb = 0, 0 end
    if member == me then
      taken.interactive, taken.bulk = tonumber(ti), tonumber(tb)
    else
      others.interactive, others.bulk = others.interactive + tonumber(wi), others.bulk + tonumber(wb)
      if tonumber(wi) > 0 then table.insert(members.interactive, {taken = tonumber(ti), waiting = tonumber(wi)}) end
      if tonumber(wb) > 0 then table.insert(members.bulk, {taken = tonumber(tb), waiting = tonumber(wb)}) end
    end
  end
end
local caps = {}
for _, lane in ipairs({'interactive', 'bulk'}) do
  local mine = {taken = taken[lane], waiting = #wanted[lane]}
  table.insert(members[lane], mine)
  caps[lane] = fair_share(room(KEYS, s, now, lane, q), members[lane], mine)
end

local got = {interactive = 0, bulk = 0}
local retry_at, owed = nil, false
while true do
  local wi = #wanted.interactive - got.interactive + others.interactive
  local wb = #wanted.bulk - got.bulk + others.bulk
  local lane, blocked = pick(KEYS, s, now, wi, wb, q)
  if not lane then
    retry_at = blocked
    break
  end
  if got[lane] >= #wanted[lane] or got[lane] >= caps[lane] then
    owed = true  -- the next token is another process's (its lane, or beyond this process's share)
    break
  end
  commit(s, lane, wb)
  got[lane] = got[lane] + 1
  local id = wanted[lane][got[lane]]
  redis.call('ZADD', KEYS[2], now + lease, id)
  redis.call('HSET', KEYS[3], id, s.answered)
  table.insert(stamps[lane], tostring(s.answered))
end

local left_i, left_b = #wanted.interactive - got.interactive, #wanted.bulk - got.bulk
if left_i + left_b > 0 then
  redis.call('HSET', KEYS[5], me, table.concat({left_i, left_b, f(now + lasts), window_mark(s),
    taken.interactive + got.interactive, taken.bulk + got.bulk}, ' '))
else
  redis.call('HDEL', KEYS[5], me)
end
save(KEYS, s, now, grace)
if owed and others.interactive + others.bulk > 0 then redis.call('PUBLISH', channel, 'share') end
local retry_in = '-1'
if retry_at and retry_at ~= math.huge then retry_in = f(math.max(0, retry_at - now)) end
local reply = {tostring(#stamps.interactive), tostring(#stamps.bulk), retry_in}
for _, v in ipairs(view(KEYS, s, now)) do reply[#reply + 1] = v end
for _, v in ipairs(stamps.interactive) do reply[#reply + 1] = v end
for _, v in ipairs(stamps.bulk) do reply[#reply + 1] = v end
return reply
