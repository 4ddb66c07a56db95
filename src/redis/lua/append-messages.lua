-- Appends a batch of messages to one worker stream in order, so a tick's appends cost one command.
-- KEYS[1] worker stream
-- ARGV[1] approximate max length (0: no MAXLEN)
-- ARGV[2] JSON array of messages, each an array of field/value strings (one argument instead of ~20 per message)
-- Returns the entry ids, in order.
local ids = {}
local maxLen = tonumber(ARGV[1])
for _, fields in ipairs(cjson.decode(ARGV[2])) do
  if maxLen > 0 then
    ids[#ids + 1] = redis.call('XADD', KEYS[1], 'MAXLEN', '~', maxLen, '*', unpack(fields))
  else
    ids[#ids + 1] = redis.call('XADD', KEYS[1], '*', unpack(fields))
  end
end
return ids
