-- Copies a pending entry to the dead-letter stream with the failure, and acknowledges it, atomically.
-- KEYS[1] worker stream
-- KEYS[2] dead-letter stream
-- ARGV[1] consumer group
-- ARGV[2] entry id
-- ARGV[3] error text
-- ARGV[4] attempts
-- ARGV[5] now ms
-- ARGV[6] dead-letter approximate max length (0: unbounded)
local range = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2])
local fields = {}
if range[1] then fields = range[1][2] end
local args = {KEYS[2]}
if tonumber(ARGV[6]) > 0 then
  table.insert(args, 'MAXLEN'); table.insert(args, '~'); table.insert(args, ARGV[6])
end
table.insert(args, '*')
for _, v in ipairs(fields) do table.insert(args, v) end
for _, v in ipairs({'source_id', ARGV[2], 'error', ARGV[3], 'attempts', ARGV[4], 'dead_at', ARGV[5]}) do
  table.insert(args, v)
end
redis.call('XADD', unpack(args))
return redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
