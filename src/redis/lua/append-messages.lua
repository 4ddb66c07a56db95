-- Appends a batch of messages to one worker stream in order (one command a tick), recording each channel's last append and adding the hand-off fence when a channel moved here from another stream.
-- KEYS[1] worker stream
-- ARGV[1] approximate max length (0: no MAXLEN)
-- ARGV[2] JSON array of messages, each an array of field/value strings (one argument instead of ~20 per message)
-- ARGV[3] optional JSON array, per message, of its channel's last-append key ('' or absent: no fence, as on Cluster)
-- ARGV[4] this stream's worker id (with ARGV[3])
-- ARGV[5] ttl of a last-append key, ms (with ARGV[3])
-- Returns the entry ids, in order.
-- A channel's last-append key is read for its first message of the batch only (after it, the last append is this
-- stream's) and written once, for its last message: the same end state as one call per message.
local ids = {}
local maxLen = tonumber(ARGV[1])
local lastKeys = {}
if ARGV[3] ~= nil and ARGV[3] ~= '' then lastKeys = cjson.decode(ARGV[3]) end
local lastIds = {}
local order = {}
for i, fields in ipairs(cjson.decode(ARGV[2])) do
  local lastKey = lastKeys[i]
  local fenced = lastKey ~= nil and lastKey ~= ''
  if fenced and lastIds[lastKey] == nil then
    local prev = redis.call('HMGET', lastKey, 'worker', 'id')
    if prev[1] and prev[2] and prev[1] ~= ARGV[4] then
      fields[#fields + 1] = 'after_worker'
      fields[#fields + 1] = prev[1]
      fields[#fields + 1] = 'after_id'
      fields[#fields + 1] = prev[2]
    end
    order[#order + 1] = lastKey
  end
  local id
  if maxLen > 0 then
    id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', maxLen, '*', unpack(fields))
  else
    id = redis.call('XADD', KEYS[1], '*', unpack(fields))
  end
  ids[#ids + 1] = id
  if fenced then lastIds[lastKey] = id end
end
for _, lastKey in ipairs(order) do
  redis.call('HSET', lastKey, 'worker', ARGV[4], 'id', lastIds[lastKey])
  redis.call('PEXPIRE', lastKey, tonumber(ARGV[5]))
end
return ids
