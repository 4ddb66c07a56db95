-- Moves one dead letter back to a worker stream as a new entry (the original message fields, same message id), atomically.
-- KEYS[1] dead-letter stream
-- KEYS[2] target worker stream
-- ARGV[1] dead-letter entry id
-- Returns the new entry id, or false when the dead letter does not exist or holds no message fields.
local range = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])
if not range[1] then return false end
local fields = range[1][2]
local args = {KEYS[2], '*'}
local dead = {source_id = true, error = true, attempts = true, dead_at = true}
for i = 1, #fields, 2 do
  if not dead[fields[i]] then
    args[#args + 1] = fields[i]
    args[#args + 1] = fields[i + 1]
  end
end
if #args == 2 then return false end
local id = redis.call('XADD', unpack(args))
redis.call('XDEL', KEYS[1], ARGV[1])
return id
