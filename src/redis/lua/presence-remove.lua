-- Removes one client's presence entry from a channel, keeping the per-user count consistent.
-- KEYS[1] info hash (client id -> encoded ClientInfo)
-- KEYS[2] expiry zset (client id -> expiry, Unix ms)
-- KEYS[3] user-of-client hash (client id -> user id)
-- KEYS[4] user count hash (user id -> number of its clients present)
-- ARGV[1] client id
local user = redis.call('hget', KEYS[3], ARGV[1])
if user and redis.call('hincrby', KEYS[4], user, -1) <= 0 then
  redis.call('hdel', KEYS[4], user)
end
redis.call('hdel', KEYS[1], ARGV[1])
redis.call('hdel', KEYS[3], ARGV[1])
redis.call('zrem', KEYS[2], ARGV[1])
return 1
