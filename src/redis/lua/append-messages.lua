-- Appends a batch of messages to one worker stream in order (one command a tick), recording each channel's last append and adding the hand-off fence when a channel moved here from another stream.
-- KEYS[1] worker stream
-- ARGV[1] approximate max length (0: no MAXLEN)
-- ARGV[2] JSON array of messages, each an array of field/value strings (one argument instead of ~20 per message)
-- ARGV[3] optional JSON array, per message, of its channel's last-append key ('' or absent: no fence, as on Cluster)
-- ARGV[4] this stream's worker id (with ARGV[3])
-- ARGV[5] ttl of a last-append key, ms (with ARGV[3])
-- Returns the entry ids, in order.
local ids = {}
local maxLen = tonumber(ARGV[1])
local lastKeys = {}
if ARGV[3] ~= nil and ARGV[3] ~= '' then lastKeys = cjson.decode(ARGV[3]) end
for i, fields in ipairs(cjson.decode(ARGV[2])) do
  local lastKey = lastKeys[i]
  if lastKey ~= nil and lastKey ~= '' then
    local prev = redis.call('HMGET', lastKey, 'worker', 'id')
    if prev[1] and prev[2] and prev[1] ~= ARGV[4] then
      fields[#fields + 1] = 'after_worker'
      fields[#fields + 1] = prev[1]
      fields[#fields + 1] = 'after_id'
      fields[#fields + 1] = prev[2]
    end
  end
  local id
  if maxLen > 0 then
    id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', maxLen, '*', unpack(fields))
  else
    id = redis.call('XADD', KEYS[1], '*', unpack(fields))
  end
  ids[#ids + 1] = id
  if lastKey ~= nil and lastKey ~= '' then
    redis.call('HSET', lastKey, 'worker', ARGV[4], 'id', id)
    redis.call('PEXPIRE', lastKey, tonumber(ARGV[5]))
  end
end
return ids
