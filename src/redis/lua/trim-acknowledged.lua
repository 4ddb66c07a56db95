-- Trims the stream below the oldest entry the consumer group still needs (oldest pending, else last delivered).
-- KEYS[1] worker stream
-- ARGV[1] consumer group
local pending = redis.call('XPENDING', KEYS[1], ARGV[1])
local minid = nil
if tonumber(pending[1]) > 0 then
  minid = pending[2]
else
  local groups = redis.call('XINFO', 'GROUPS', KEYS[1])
  for _, g in ipairs(groups) do
    local name, last = nil, nil
    for i = 1, #g, 2 do
      if g[i] == 'name' then name = g[i + 1] end
      if g[i] == 'last-delivered-id' then last = g[i + 1] end
    end
    if name == ARGV[1] then minid = last end
  end
end
if minid == nil or minid == '0-0' then return 0 end
return redis.call('XTRIM', KEYS[1], 'MINID', '~', minid)
