-- Publishes one message on a channel's pub/sub channel from the master of the channel's slot (Redis Cluster, classic pub/sub).
-- KEYS[1] a key of the channel (its stream meta hash): not read, it only routes the call to the slot that also runs the channel's publish script, so every message of a channel leaves from one node, in order
-- ARGV[1] pub/sub channel to PUBLISH on
-- ARGV[2] message
-- Returns the number of receivers PUBLISH reports.
return redis.call('publish', ARGV[1], ARGV[2])
