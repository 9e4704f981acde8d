-- ARGV: probe, assumed limit (0: none), plan window, margin, lease seconds, grace, then the lease ids wanted.
-- Reply: granted, retry in (-1: after a response), the view (6 fields), then each granted lease's stamp.
local probe, assumed, window, margin = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local lease, grace = tonumber(ARGV[5]), tonumber(ARGV[6])
local now = now_s()
local s = load(KEYS)
expire(KEYS, s, now, window)
local stamps, retry_at = {}, nil
for i = 7, #ARGV do
  local id = ARGV[i]
  local held = redis.call('HGET', KEYS[3], id)  -- asked again after a lost answer: granted then, not twice
  if held then
    stamps[#stamps + 1] = held
  elseif not retry_at then
    retry_at = reserve_one(KEYS, s, now, probe, assumed, window, margin)
    if not retry_at then
      redis.call('ZADD', KEYS[2], now + lease, id)
      redis.call('HSET', KEYS[3], id, s.answered)
      stamps[#stamps + 1] = tostring(s.answered)
    end
  end
end
save(KEYS, s, now, grace)
local retry_in = '-1'
if retry_at and retry_at ~= math.huge then retry_in = f(math.max(0, retry_at - now)) end
local reply = {tostring(#stamps), retry_in}
for _, v in ipairs(view(KEYS, s, now)) do reply[#reply + 1] = v end
for _, v in ipairs(stamps) do reply[#reply + 1] = v end
return reply
