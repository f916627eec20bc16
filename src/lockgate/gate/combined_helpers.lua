-- Helpers of the gate's combined scripts (see lockgate/gate/_lua.py: Combined).

-- A part's ARGV, sent as one string with each value followed by '|' (no value contains '|').
local function split(blob)
  local out = {}
  if blob == nil then return out end
  for value in string.gmatch(blob, '([^|]*)|') do out[#out + 1] = value end
  return out
end

-- KEYS[after + 1 .. after + count]: one part's keys.
local function keys(after, count)
  local out = {}
  for i = 1, count do out[i] = KEYS[after + i] end
  return out
end
