-- Appends several publications to their channels' history streams and broadcasts each, in order, as publish.lua does for one.
-- KEYS[1] history stream of the first publication
-- KEYS[2] its stream meta hash; publication i has its stream and meta at KEYS[2i-1] and KEYS[2i]
-- ARGV[1] epoch to use for a stream whose meta does not exist (new or lost stream)
-- ARGV[5i-3 .. 5i+1] publication i: encoded body, history size (MAXLEN), history ttl ms, meta ttl ms, pub/sub channel
-- Returns {offset1, epoch1, offset2, epoch2, ...}.
local out = {}
local n = #KEYS / 2
for i = 1, n do
  local stream, meta = KEYS[2 * i - 1], KEYS[2 * i]
  local a = 5 * (i - 1) + 2
  local body = ARGV[a]
  local epoch = redis.call('hget', meta, 'e')
  if not epoch then
    epoch = ARGV[1]
    redis.call('del', stream)
    redis.call('hset', meta, 'e', epoch, 's', 0)
  end
  local offset = redis.call('hincrby', meta, 's', 1)
  redis.call('pexpire', meta, ARGV[a + 3])
  redis.call('xadd', stream, 'MAXLEN', ARGV[a + 1], offset .. '-0', 'd', body)
  redis.call('pexpire', stream, ARGV[a + 2])
  redis.call('publish', ARGV[a + 4], 'p' .. offset .. ',' .. epoch .. '\n' .. body)
  out[2 * i - 1] = offset
  out[2 * i] = epoch
end
return out
