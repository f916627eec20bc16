-- Free a lease's slot.
-- KEYS: leases, queue
-- ARGV: id
-- -> the number of leases removed (0 or 1)
return redis.call('ZREM', KEYS[1], ARGV[1])
