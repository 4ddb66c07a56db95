-- Drops a channel's expired presence entries, then returns the remaining ones.
-- KEYS[1] info hash (client id -> encoded ClientInfo)
-- KEYS[2] expiry zset (client id -> expiry, Unix ms)
-- KEYS[3] user-of-client hash (client id -> user id)
-- KEYS[4] user count hash (user id -> number of its clients present)
-- Returns the HGETALL reply of KEYS[1].
-- #include presence-sweep
sweep_expired_presence()
return redis.call('hgetall', KEYS[1])
