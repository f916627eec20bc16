-- The gate's settle: budget release, the breaker's verdict or probe release, the lane slot, in
-- one step (lockgate/gate/gate_redis.py), at most once per settle id: once_keys[1] remembers it
-- for once_args[1] seconds, and a settle sent again (a retried batch whose reply was lost) does
-- nothing. breaker_op is 'record' (breaker_args: RECORD's), 'release' (breaker_args: ALLOW's, to
-- give back a probe) or '' (nothing to tell); lane_args and budget_keys are empty when there is
-- no lease or no budget.
-- -> JSON [release reply, record reply]; [[0], []] when this settle id was already applied
if not redis.call('SET', once_keys[1], '1', 'NX', 'EX', once_args[1]) then
  return cjson.encode({{0}, {}})
end
local released, moved = {}, {}
if #budget_keys > 0 then released = budget_release(budget_keys, budget_args) end
if breaker_op == 'record' then
  moved = breaker_record(breaker_keys, breaker_args)
elseif breaker_op == 'release' then
  breaker_release_probe(breaker_keys, breaker_args)
end
if #lane_args > 0 then lane_release(lane_keys, lane_args) end
return cjson.encode({released, moved})
