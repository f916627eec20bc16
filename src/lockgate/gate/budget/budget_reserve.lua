-- Reserve `units` in every window, or refuse at the first window it does not fit in.
-- KEYS: windows..., done
-- ARGV: now, n, labels..., expiry_ms, units, id, window_blocks...
-- windows: a hash and a leases key per window; done is not used here (it is RELEASE's).
-- window_blocks: per window its limit, drop and n threshold units.
-- -> {0, index, spent, reserved} on refusal, else {1, claim...}. A window's keys get their
-- expiry when created (a fixed time: the window's drop), so the hash only when it had no
-- amounts yet and the lease set only when it held no money.
local expiry, units, id = ARGV[at + 1], ARGV[at + 2], ARGV[at + 3]
local stride, first = 2 + n, at + 3
local before = {}
for i = 1, (#KEYS - 1) / 2 do
  local hash = KEYS[2 * i - 1]
  purge(hash, KEYS[2 * i])
  local v = redis.call('HMGET', hash, 'spent', 'reserved')
  local spent, reserved = v[1] or '0', v[2] or '0'
  local limit = tonumber(ARGV[first + (i - 1) * stride + 1])
  if tonumber(spent) + tonumber(reserved) + tonumber(units) > limit then
    return {0, i, spent, reserved}
  end
  before[i] = {spent, reserved, v[1] or v[2]}
end
local out = {1}
for i = 1, (#KEYS - 1) / 2 do
  local hash, leases = KEYS[2 * i - 1], KEYS[2 * i]
  local block = first + (i - 1) * stride
  local spent, held, exists = unpack(before[i])
  local reserved = redis.call('HINCRBY', hash, 'reserved', units)
  redis.call('HSET', hash, 'r:' .. id, units)
  redis.call('ZADD', leases, expiry, id)
  if not exists then redis.call('EXPIRE', hash, ttl(ARGV[block + 2])) end
  if tonumber(held) == 0 then redis.call('EXPIRE', leases, ttl(ARGV[block + 2])) end
  out[i + 1] = claim(hash, block + 2, spent, reserved)
end
return out
