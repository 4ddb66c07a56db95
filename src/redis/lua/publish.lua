-- Appends one publication to a channel's history stream and broadcasts it, assigning the next offset atomically.
-- KEYS[1] history stream (entry id = offset, field "d" = encoded publication body)
-- KEYS[2] stream meta hash (field "s" = top offset, field "e" = epoch)
-- ARGV[1] encoded publication body (without offset/epoch)
-- ARGV[2] history size (MAXLEN)
-- ARGV[3] history ttl, ms
-- ARGV[4] meta ttl, ms
-- ARGV[5] epoch to use if the meta does not exist (new or lost stream)
-- ARGV[6] pub/sub channel to PUBLISH on
-- ARGV[7] "1": SPUBLISH instead (sharded pub/sub; the channel shares the keys' hash tag); omitted: PUBLISH
-- Returns {offset, epoch}.
local epoch = redis.call('hget', KEYS[2], 'e')
if not epoch then
  epoch = ARGV[5]
  redis.call('del', KEYS[1])
  redis.call('hset', KEYS[2], 'e', epoch, 's', 0)
end
local offset = redis.call('hincrby', KEYS[2], 's', 1)
redis.call('pexpire', KEYS[2], ARGV[4])
redis.call('xadd', KEYS[1], 'MAXLEN', ARGV[2], offset .. '-0', 'd', ARGV[1])
redis.call('pexpire', KEYS[1], ARGV[3])
redis.call(ARGV[7] == '1' and 'spublish' or 'publish', ARGV[6], 'p' .. offset .. ',' .. epoch .. '\n' .. ARGV[1])
return {offset, epoch}
