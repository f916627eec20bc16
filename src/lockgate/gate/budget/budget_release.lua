-- Settle (spend `actual`) or refund (`actual` '') a reservation, once: `done` remembers it.
-- KEYS: windows..., done
-- ARGV: now, n, labels..., id, actual, remember_s, window_blocks...
-- window_blocks: per window its drop and n threshold units.
-- -> {0} when already done, else {1, claim...}
local id, actual, remember = ARGV[at + 1], ARGV[at + 2], ARGV[at + 3]
local stride, first = 1 + n, at + 3
if not redis.call('SET', KEYS[#KEYS], '1', 'NX', 'EX', remember) then return {0} end
local out = {1}
for i = 1, (#KEYS - 1) / 2 do
  local hash, leases = KEYS[2 * i - 1], KEYS[2 * i]
  local block = first + (i - 1) * stride
  local units = redis.call('HGET', hash, 'r:' .. id)
  local spent, reserved
  if units then  -- held: the hash exists, with its expiry
    reserved = redis.call('HINCRBY', hash, 'reserved', neg(units))
    redis.call('HDEL', hash, 'r:' .. id)
  end
  redis.call('ZREM', leases, id)
  if actual ~= '' and actual ~= '0' then
    spent = redis.call('HINCRBY', hash, 'spent', actual)
    if not units and redis.call('TTL', hash) < 0 then
      redis.call('EXPIRE', hash, ttl(ARGV[block + 1]))
    end
  end
  if purge(hash, leases) then reserved = nil end
  if actual ~= '' then out[#out + 1] = claim(hash, block + 1, spent, reserved) end
end
return out
