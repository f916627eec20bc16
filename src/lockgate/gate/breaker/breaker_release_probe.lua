-- Give back a half-open probe slot `breaker_allow` handed out (same KEYS and ARGV as it).
-- KEYS: state, window, probes
-- ARGV: now, bucket_ms, buckets, min_calls, failure_ratio, consecutive_failures, cooldown_ms, max_cooldown_ms, half_open_probes, probe_lease_ms, success_threshold, permit_id
-- -> the number of probes removed (0 or 1)
return redis.call('ZREM', KEYS[3], ARGV[12])
