-- The breaker's state, applying a due open -> half_open transition.
-- KEYS: state, window, probes
-- ARGV: now, bucket_ms, buckets, min_calls, failure_ratio, consecutive_failures, cooldown_ms, max_cooldown_ms, half_open_probes, probe_lease_ms, success_threshold
-- -> {state, calls, failures, consec, opened_until, trips, transition...}
due()
local calls, fails = window()
return {c.state, calls, fails, c.consec, c.opened_until, c.trips, unpack(moved)}
