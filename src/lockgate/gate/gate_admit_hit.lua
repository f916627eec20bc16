-- A request's global HTTP rate limit, then the gate's admit, in one step
-- (lockgate/gate/gate_redis.py, lockgate/gate/ratelimit/pending.py). ratelimit_hit and gate_admit
-- are defined above this text. KEYS: the hit's lists (ARGV[1] of them), then the admit's keys;
-- ARGV: the hit's count, the hit's arguments as one '|'-separated string, then the admit's ARGV.
-- -> the hit's refusal ("0 ..."), or the hit's reply, a newline and the admit's JSON reply
local n = tonumber(ARGV[1])
local hit_keys, admit_keys, admit_args = {}, {}, {}
for i = 1, #KEYS do
  if i <= n then hit_keys[i] = KEYS[i] else admit_keys[i - n] = KEYS[i] end
end
for i = 3, #ARGV do admit_args[i - 2] = ARGV[i] end
local hit_args = {}
for value in string.gmatch(ARGV[2], '([^|]*)|') do hit_args[#hit_args + 1] = value end
local verdict = ratelimit_hit(hit_keys, hit_args)
if string.sub(verdict, 1, 1) == '0' then return verdict end
return verdict .. '\n' .. gate_admit(admit_keys, admit_args)
