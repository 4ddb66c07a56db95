-- Adds or refreshes one client's presence entry in a channel, dropping expired entries first.
-- KEYS[1] info hash (client id -> encoded ClientInfo)
-- KEYS[2] expiry zset (client id -> expiry, Unix ms)
-- KEYS[3] user-of-client hash (client id -> user id)
-- KEYS[4] user count hash (user id -> number of its clients present)
-- ARGV[1] client id
-- ARGV[2] encoded ClientInfo
-- ARGV[3] user id
-- ARGV[4] ttl, ms
-- #include presence-sweep
local now = sweep_expired_presence()
local previous = redis.call('hget', KEYS[3], ARGV[1])
if previous ~= ARGV[3] then
  if previous and redis.call('hincrby', KEYS[4], previous, -1) <= 0 then
    redis.call('hdel', KEYS[4], previous)
  end
  redis.call('hset', KEYS[3], ARGV[1], ARGV[3])
  redis.call('hincrby', KEYS[4], ARGV[3], 1)
end
redis.call('hset', KEYS[1], ARGV[1], ARGV[2])
redis.call('zadd', KEYS[2], now + tonumber(ARGV[4]), ARGV[1])
-- Keys live as long as their longest-lived entry: never shorten a ttl another client set.
local ttl = tonumber(ARGV[4])
for i = 1, 4 do
  if redis.call('pttl', KEYS[i]) < ttl then
    redis.call('pexpire', KEYS[i], ttl)
  end
end
return 1
