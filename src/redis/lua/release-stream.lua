-- Gives up the right to consume a stream, only if the caller holds it.
-- KEYS[1] stream lock
-- ARGV[1] holder token
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
