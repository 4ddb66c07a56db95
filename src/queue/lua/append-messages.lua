-- Appends a batch of messages to one worker stream in order, so a tick's appends cost one command.
-- KEYS[1] worker stream
-- ARGV[1] approximate max length (0: no MAXLEN), then per message: field count n, then n field/value strings
-- Returns the entry ids, in order.
local ids = {}
local maxLen = tonumber(ARGV[1])
local i = 2
while i <= #ARGV do
  local n = tonumber(ARGV[i])
  local args
  if maxLen > 0 then args = {KEYS[1], 'MAXLEN', '~', maxLen, '*'} else args = {KEYS[1], '*'} end
  for j = i + 1, i + n do args[#args + 1] = ARGV[j] end
  ids[#ids + 1] = redis.call('XADD', unpack(args))
  i = i + n + 1
end
return ids
