-- Reads never-delivered entries for a consumer only while the caller holds the stream's lock.
-- KEYS[1] worker stream
-- KEYS[2] stream lock
-- ARGV[1] consumer group
-- ARGV[2] consumer
-- ARGV[3] count
-- ARGV[4] holder token
-- So a worker that lost its stream to another (lock expired during a Redis outage, a pause, a stall)
-- cannot take entries the new holder will not see. Never blocks (the caller waits with XREAD).
-- Returns {last entry id of the stream or '', entries}; an error reply LOCKLOST when the lock is not ours.
if redis.call('GET', KEYS[2]) ~= ARGV[4] then
  return redis.error_reply('LOCKLOST the stream lock is held by another consumer or expired')
end
local read = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', tonumber(ARGV[3]), 'STREAMS', KEYS[1], '>')
local entries = {}
if read and read[1] then entries = read[1][2] end
local last = ''
if #entries == 0 then
  local tail = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
  if tail[1] then last = tail[1][1] end
end
return {last, entries}
