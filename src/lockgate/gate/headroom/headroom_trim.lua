-- Helper: drop a headroom log's entries at or before `cutoff`, keeping `used` in step.
local function trim(log, used, cutoff)
  local expired = redis.call('ZRANGEBYSCORE', log, '-inf', cutoff)
  if #expired > 0 then
    local freed = 0
    for _, member in ipairs(expired) do
      freed = freed + tonumber(string.match(member, ':(%d+)$'))
    end
    redis.call('ZREMRANGEBYSCORE', log, '-inf', cutoff)
    if redis.call('DECRBY', used, freed) < 0 then redis.call('SET', used, 0) end
  end
end
