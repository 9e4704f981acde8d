-- ARGV: lease id, probe, margin, plan window, grace, channel, sent (1: it may have reached the server, 0: it
-- provably did not, and its token goes back). Reply: the view.
local id, probe, margin, window = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local grace, channel, sent = tonumber(ARGV[5]), ARGV[6], ARGV[7] == '1'
local now = now_s()
local rules = {probe = probe, margin = margin, share = 0}  -- for the interactive room: what a wake-up offers
local s = load(KEYS)
local expired = expire(KEYS, s, now, window)
local before = room(KEYS, s, now, 'interactive', rules)
local ended = redis.call('ZREM', KEYS[2], id) == 1
if ended then
  redis.call('HDEL', KEYS[3], id)
  if sent then
    add_end(KEYS, s, now, window)
    spoil(s)  -- its request may have been counted, unseen
  else
    s.granted = s.granted - 1  -- never counted: as if never granted
  end
  end_epoch(s)
end
if ended or expired > 0 then save(KEYS, s, now, grace) end
if room(KEYS, s, now, 'interactive', rules) > before then redis.call('PUBLISH', channel, 'release') end
return view(KEYS, s, now)
