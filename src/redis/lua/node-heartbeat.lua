-- Adds or refreshes a gateway node's registry entry, expiring ttl ms from now (Redis clock), and drops expired entries.
-- KEYS[1] info hash (node id -> info JSON)
-- KEYS[2] expiry zset (node id -> expiry time, ms)
-- ARGV[1] node id
-- ARGV[2] info JSON
-- ARGV[3] ttl, ms
local t = redis.call('time')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[3])
local expired = redis.call('zrangebyscore', KEYS[2], '-inf', now)
for i = 1, #expired do
  redis.call('hdel', KEYS[1], expired[i])
end
redis.call('zremrangebyscore', KEYS[2], '-inf', now)
redis.call('hset', KEYS[1], ARGV[1], ARGV[2])
redis.call('zadd', KEYS[2], now + ttl, ARGV[1])
-- The keys outlive the longest entry, so they vanish once every node is gone.
for i = 1, 2 do
  if redis.call('pttl', KEYS[i]) < ttl then
    redis.call('pexpire', KEYS[i], ttl)
  end
end
return 1
