-- The gate's admit: breaker, headroom, budgets, lane, in one step, stopping at the first refusal
-- and undoing what it must (lockgate/gate/gate_redis.py). The variables breaker_keys,
-- breaker_args, headroom_..., lane_..., budget_... are bound from the parts' declared layouts
-- (no budget: budget_keys is empty).
-- -> JSON [allow reply, headroom reply, reserve reply, lane reply], up to the part that refused
local allowed = breaker_allow(breaker_keys, breaker_args)
if allowed[1] == 'reject' then return cjson.encode({allowed}) end
local function release_probe()
  if allowed[1] == 'probe' then breaker_release_probe(breaker_keys, breaker_args) end
end
local room = headroom_acquire(headroom_keys, headroom_args)
if room[1] ~= 0 then
  release_probe()
  return cjson.encode({allowed, room})
end
local reserved = {}
if #budget_keys > 0 then
  reserved = budget_reserve(budget_keys, budget_args)
  if reserved[1] == 0 then
    release_probe()
    return cjson.encode({allowed, room, reserved})
  end
end
local lane = lane_acquire(lane_keys, lane_args)
if lane[1] == -1 then
  release_probe()
  if #budget_keys > 0 then budget_refund(budget_keys, budget_args) end
end
return cjson.encode({allowed, room, reserved, lane})
