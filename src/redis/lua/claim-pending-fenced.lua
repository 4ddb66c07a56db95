-- Moves one page of a stream's pending entries to a consumer only while the caller holds the stream's lock (see read-new-fenced.lua).
-- KEYS[1] worker stream
-- KEYS[2] stream lock
-- ARGV[1] consumer group
-- ARGV[2] consumer
-- ARGV[3] cursor (entry id; '0-0' to start)
-- ARGV[4] holder token
-- Returns {next cursor ('0-0' when done), number of entries moved}; an error reply LOCKLOST when the lock is not ours.
if redis.call('GET', KEYS[2]) ~= ARGV[4] then
  return redis.error_reply('LOCKLOST the stream lock is held by another consumer or expired')
end
local res = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'COUNT', 1000, 'JUSTID')
return {res[1], #res[2]}
