-- Add spend that was never reserved to every window.
-- KEYS: windows...
-- ARGV: now, n, labels..., units, window_blocks...
-- window_blocks: per window its drop and n threshold units. -> {claim...}
local units = ARGV[at + 1]
local stride, first = 1 + n, at + 1
local out = {}
for i = 1, #KEYS / 2 do
  local hash = KEYS[2 * i - 1]
  local block = first + (i - 1) * stride
  purge(hash, KEYS[2 * i])
  local spent = redis.call('HINCRBY', hash, 'spent', units)
  redis.call('EXPIRE', hash, ttl(ARGV[block + 1]))
  out[i] = claim(hash, block + 1, spent, nil)
end
return out
