-- Drops expired gateway node entries (Redis clock) and returns the live ones.
-- KEYS[1] info hash (node id -> info JSON)
-- KEYS[2] expiry zset (node id -> expiry time, ms)
-- Returns a flat array {id1, info1, id2, info2, ...} ordered by node id.
local t = redis.call('time')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expired = redis.call('zrangebyscore', KEYS[2], '-inf', now)
for i = 1, #expired do
  redis.call('hdel', KEYS[1], expired[i])
end
redis.call('zremrangebyscore', KEYS[2], '-inf', now)
local ids = redis.call('zrange', KEYS[2], 0, -1)
table.sort(ids)
local out = {}
for i = 1, #ids do
  local info = redis.call('hget', KEYS[1], ids[i])
  if info then
    out[#out + 1] = ids[i]
    out[#out + 1] = info
  end
end
return out
