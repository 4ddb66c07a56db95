-- Takes the right to consume a stream if free, or renews it if the caller already holds it.
-- KEYS[1] stream lock
-- ARGV[1] holder token
-- ARGV[2] ttl ms
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
