-- Reads a channel's stream position and a page of its publications in one consistent step, creating the epoch on first use.
-- KEYS[1] history stream (entry id = offset, field "d" = encoded publication body)
-- KEYS[2] stream meta hash (field "s" = top offset, field "e" = epoch)
-- ARGV[1] limit: 0 none, -1 all, N > 0 at most N
-- ARGV[2] "1" for reverse (descending) order, "0" forward
-- ARGV[3] since offset, or "" for none (forward: offsets > since; reverse: offsets < since)
-- ARGV[4] epoch to store if the meta does not exist
-- ARGV[5] meta ttl, ms (applied only when the meta is created here)
-- Returns {offset, epoch, entries} where entries is the raw XRANGE/XREVRANGE reply.
local epoch = redis.call('hget', KEYS[2], 'e')
local offset = 0
if not epoch then
  epoch = ARGV[4]
  redis.call('del', KEYS[1])
  redis.call('hset', KEYS[2], 'e', epoch, 's', 0)
  redis.call('pexpire', KEYS[2], ARGV[5])
else
  offset = tonumber(redis.call('hget', KEYS[2], 's') or '0')
end
local limit = tonumber(ARGV[1])
if limit == 0 or offset == 0 then
  return {offset, epoch, {}}
end
local range
if ARGV[2] == '1' then
  local upper = '+'
  if ARGV[3] ~= '' then
    local before = tonumber(ARGV[3]) - 1
    if before < 1 then
      return {offset, epoch, {}}
    end
    upper = before .. '-0'
  end
  if limit > 0 then
    range = redis.call('xrevrange', KEYS[1], upper, '-', 'COUNT', limit)
  else
    range = redis.call('xrevrange', KEYS[1], upper, '-')
  end
else
  local lower = '-'
  if ARGV[3] ~= '' then
    lower = (tonumber(ARGV[3]) + 1) .. '-0'
  end
  if limit > 0 then
    range = redis.call('xrange', KEYS[1], lower, '+', 'COUNT', limit)
  else
    range = redis.call('xrange', KEYS[1], lower, '+')
  end
end
return {offset, epoch, range}
