-- The gate's settle: budget release, the breaker's verdict or probe release, the lane slot, in
-- one step (lockgate/gate/gate_redis.py). breaker_op is 'record' (breaker_args: RECORD's),
-- 'release' (breaker_args: ALLOW's, to give back a probe) or '' (nothing to tell); lane_args
-- and budget_keys are empty when there is no lease or no budget.
-- -> JSON [release reply, record reply]
local released, moved = {}, {}
if #budget_keys > 0 then released = budget_release(budget_keys, budget_args) end
if breaker_op == 'record' then
  moved = breaker_record(breaker_keys, breaker_args)
elseif breaker_op == 'release' then
  breaker_release_probe(breaker_keys, breaker_args)
end
if #lane_args > 0 then lane_release(lane_keys, lane_args) end
return cjson.encode({released, moved})
