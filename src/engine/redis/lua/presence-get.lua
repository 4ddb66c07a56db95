-- Drops a channel's expired presence entries, then returns the remaining ones.
-- KEYS[1] info hash (client id -> encoded ClientInfo)
-- KEYS[2] expiry zset (client id -> expiry, Unix ms)
-- KEYS[3] user-of-client hash (client id -> user id)
-- KEYS[4] user count hash (user id -> number of its clients present)
-- Returns the HGETALL reply of KEYS[1].
local t = redis.call('time')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expired = redis.call('zrangebyscore', KEYS[2], '-inf', now)
for _, client in ipairs(expired) do
  local user = redis.call('hget', KEYS[3], client)
  if user and redis.call('hincrby', KEYS[4], user, -1) <= 0 then
    redis.call('hdel', KEYS[4], user)
  end
  redis.call('hdel', KEYS[1], client)
  redis.call('hdel', KEYS[3], client)
end
if #expired > 0 then
  redis.call('zremrangebyscore', KEYS[2], '-inf', now)
end
return redis.call('hgetall', KEYS[1])
