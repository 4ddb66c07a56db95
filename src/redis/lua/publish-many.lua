-- Appends several publications to their channels' history streams and broadcasts each, in order, as publish.lua does for one.
-- KEYS[1] history stream of the first publication
-- KEYS[2] its stream meta hash; publication i has its stream and meta at KEYS[2i-1] and KEYS[2i]
-- ARGV[1] epoch to use for a stream whose meta does not exist (new or lost stream)
-- ARGV[5i-3 .. 5i+1] publication i: encoded body, history size (MAXLEN), history ttl ms, meta ttl ms, pub/sub channel
-- Returns {offset1, epoch1, offset2, epoch2, ...}.
-- Each channel's meta is read once and written once per call (offsets are counted here, then stored), and its
-- stream and meta ttls are set once: the same end state as one publish.lua per publication, with fewer commands.
local out = {}
local n = #KEYS / 2
local channels = {}
local order = {}
for i = 1, n do
  local stream, meta = KEYS[2 * i - 1], KEYS[2 * i]
  local a = 5 * (i - 1) + 2
  local body = ARGV[a]
  local ch = channels[meta]
  if ch == nil then
    local state = redis.call('hmget', meta, 'e', 's')
    ch = { stream = stream, epoch = state[1], offset = tonumber(state[2]) or 0, new = false }
    if not ch.epoch then
      ch.epoch = ARGV[1]
      ch.offset = 0
      ch.new = true
      redis.call('del', stream)
    end
    channels[meta] = ch
    order[#order + 1] = meta
  end
  ch.offset = ch.offset + 1
  ch.historyTtl = ARGV[a + 2]
  ch.metaTtl = ARGV[a + 3]
  redis.call('xadd', stream, 'MAXLEN', ARGV[a + 1], ch.offset .. '-0', 'd', body)
  redis.call('publish', ARGV[a + 4], 'p' .. ch.offset .. ',' .. ch.epoch .. '\n' .. body)
  out[2 * i - 1] = ch.offset
  out[2 * i] = ch.epoch
end
for _, meta in ipairs(order) do
  local ch = channels[meta]
  if ch.new then
    redis.call('hset', meta, 'e', ch.epoch, 's', ch.offset)
  else
    redis.call('hset', meta, 's', ch.offset)
  end
  redis.call('pexpire', meta, ch.metaTtl)
  redis.call('pexpire', ch.stream, ch.historyTtl)
end
return out
