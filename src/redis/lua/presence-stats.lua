-- Drops a channel's expired presence entries, then counts the remaining clients and distinct users.
-- KEYS[1] info hash (client id -> encoded ClientInfo)
-- KEYS[2] expiry zset (client id -> expiry, Unix ms)
-- KEYS[3] user-of-client hash (client id -> user id)
-- KEYS[4] user count hash (user id -> number of its clients present)
-- Returns {number of clients, number of distinct users}.
-- #include presence-sweep
sweep_expired_presence()
return {redis.call('hlen', KEYS[1]), redis.call('hlen', KEYS[4])}
