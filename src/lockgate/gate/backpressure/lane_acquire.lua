-- Take a lane slot, join its queue, or refuse.
-- KEYS: leases, queue
-- ARGV: now, id, lease_ms, max_concurrent, max_queue, mode, queue_ttl_ms
-- mode "try": admit or refuse; "enqueue": admit, else join the queue if it has room;
-- "wait": an id already queued asks again. -> {code, rank}: code 1 admitted, 0 queued,
-- -1 queue full.
local now, id = tonumber(ARGV[1]), ARGV[2]
local lease_ms, max_concurrent, max_queue = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local mode, queue_ttl = ARGV[6], tonumber(ARGV[7])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local in_flight = redis.call('ZCARD', KEYS[1])
local queued = redis.call('ZCARD', KEYS[2])
local rank = queued
if mode == 'wait' then
  rank = redis.call('ZRANK', KEYS[2], id)
  if not rank then  -- our entry expired or Redis lost it: rejoin at the back
    redis.call('ZADD', KEYS[2], now + queue_ttl, id)
    redis.call('PEXPIRE', KEYS[2], queue_ttl)
    rank = queued
  end
end
if rank < max_concurrent - in_flight then
  redis.call('ZADD', KEYS[1], now + lease_ms, id)
  redis.call('PEXPIRE', KEYS[1], lease_ms)
  if mode == 'wait' then redis.call('ZREM', KEYS[2], id) end
  return {1, 0}
end
if mode == 'try' or (mode == 'enqueue' and queued >= max_queue) then return {-1, rank} end
if mode == 'enqueue' then
  redis.call('ZADD', KEYS[2], now + queue_ttl, id)
  redis.call('PEXPIRE', KEYS[2], queue_ttl)
end
return {0, rank}
