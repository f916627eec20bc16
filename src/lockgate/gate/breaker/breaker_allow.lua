-- A permit for one call, or a refusal.
-- KEYS: state, window, probes
-- ARGV: now, bucket_ms, buckets, min_calls, failure_ratio, consecutive_failures, cooldown_ms, max_cooldown_ms, half_open_probes, probe_lease_ms, success_threshold, permit_id
-- -> {verdict ('allow' | 'probe' | 'reject'), epoch, retry_ms, transition...}
due()
if c.state == 'open' then
  return {'reject', c.epoch, c.opened_until - now, unpack(moved)}
end
if c.state == 'half_open' then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
  if redis.call('ZCARD', KEYS[3]) >= probes_max then
    local first = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
    local wait = math.min(tonumber(first[2]) - now, math.max(c.cooldown, base_cooldown))
    return {'reject', c.epoch, wait, unpack(moved)}
  end
  redis.call('ZADD', KEYS[3], now + lease_ms, ARGV[12])
  redis.call('PEXPIRE', KEYS[3], lease_ms)
  return {'probe', c.epoch, 0, unpack(moved)}
end
return {'allow', c.epoch, 0, unpack(moved)}
