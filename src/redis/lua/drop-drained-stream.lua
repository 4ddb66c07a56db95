-- Deletes a worker stream if its consumer group has received and acknowledged every entry (else keeps it).
-- KEYS[1] worker stream
-- ARGV[1] consumer group
if redis.call('EXISTS', KEYS[1]) == 0 then return 1 end
local stream = redis.call('XINFO', 'STREAM', KEYS[1])
local lastGenerated = nil
for i = 1, #stream, 2 do
  if stream[i] == 'last-generated-id' then lastGenerated = stream[i + 1] end
end
local groups = redis.call('XINFO', 'GROUPS', KEYS[1])
for _, g in ipairs(groups) do
  local name, last, pending = nil, nil, nil
  for i = 1, #g, 2 do
    if g[i] == 'name' then name = g[i + 1] end
    if g[i] == 'last-delivered-id' then last = g[i + 1] end
    if g[i] == 'pending' then pending = tonumber(g[i + 1]) end
  end
  if name == ARGV[1] then
    if pending == 0 and last == lastGenerated then
      redis.call('DEL', KEYS[1])
      return 1
    end
    return 0
  end
end
if redis.call('XLEN', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
