-- Extend a lease still held by lease_ms.
-- KEYS: leases
-- ARGV: id, now, lease_ms
-- -> 1 if the lease was still held (and now runs lease_ms longer), else 0
local expiry = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not expiry or tonumber(expiry) <= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], tonumber(ARGV[2]) + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
