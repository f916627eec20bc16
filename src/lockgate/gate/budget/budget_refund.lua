-- Refund the reservation `budget_reserve` just made with these same KEYS and ARGV (the gate's
-- admit does, when the lane refuses after the budgets said yes). REMEMBER_S comes from Python.
-- KEYS: windows..., done
-- ARGV: now, n, labels..., expiry_ms, units, id, window_blocks...
-- -> what budget_release answers
local n = tonumber(ARGV[2])
local at, out = 2 + n, {}
for j = 1, at do out[j] = ARGV[j] end
out[at + 1], out[at + 2], out[at + 3] = ARGV[at + 3], '', REMEMBER_S
for i = 1, (#KEYS - 1) / 2 do
  local block = at + 3 + (i - 1) * (2 + n)
  for j = 2, 2 + n do out[#out + 1] = ARGV[block + j] end
end
return budget_release(KEYS, out)
