-- One window's amounts, after purging its expired leases.
-- KEYS: hash, leases
-- ARGV: now, n, labels...
-- -> {spent, reserved}
purge(KEYS[1], KEYS[2])
local spent, reserved = tally(KEYS[1])
return {spent, reserved}
