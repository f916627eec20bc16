-- The verdict on a permit: counts it, trips or closes the breaker.
-- KEYS: state, window, probes
-- ARGV: now, bucket_ms, buckets, min_calls, failure_ratio, consecutive_failures, cooldown_ms, max_cooldown_ms, half_open_probes, probe_lease_ms, success_threshold, permit_id, epoch, probe, success
-- probe and success are 0/1. -> {transition...}
local probe, success = ARGV[14] == '1', ARGV[15] == '1'
local held = false
if probe then
  local expiry = redis.call('ZSCORE', KEYS[3], ARGV[12])
  held = expiry and tonumber(expiry) > now
  redis.call('ZREM', KEYS[3], ARGV[12])
end
if tonumber(ARGV[13]) ~= c.epoch then return {} end
if c.state == 'half_open' then
  if not held then return {} end
  if not success then
    return trip(math.max(base_cooldown, math.min(c.cooldown * 2, max_cooldown)), 'half_open')
  end
  if redis.call('HINCRBY', KEYS[1], 'hsucc', 1) >= threshold then return close() end
  return {}
end
if c.state ~= 'closed' then return {} end
local bucket = math.floor(now / bucket_ms)
redis.call('HINCRBY', KEYS[2], 'c:' .. bucket, 1)
redis.call('PEXPIRE', KEYS[2], (nbuckets + 1) * bucket_ms)
if success then
  if c.consec ~= 0 then redis.call('HSET', KEYS[1], 'consec', 0) end
  return {}
end
redis.call('HINCRBY', KEYS[2], 'f:' .. bucket, 1)
local consec = redis.call('HINCRBY', KEYS[1], 'consec', 1)
local calls, fails = window()
if consec >= consec_max or (calls >= min_calls and fails >= ratio * calls) then
  return trip(base_cooldown, 'closed')
end
return {}
