-- Shared by the presence scripts: drops a channel's expired presence entries and returns the Redis clock.
-- Uses the including script's KEYS[1] info hash, KEYS[2] expiry zset, KEYS[3] user-of-client hash and
-- KEYS[4] user count hash.
local function sweep_expired_presence()
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
  return now
end
