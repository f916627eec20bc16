-- Shared head of every budget script: ARGV starts with now, the number n of thresholds and
-- their n labels (`at` is the index of the last label); a window's `drop` is when its keys
-- may expire (ms), `ttl(drop)` the seconds from now until then.
local now, n = ARGV[1], tonumber(ARGV[2])
local labels = {}
for j = 1, n do labels[j] = ARGV[2 + j] end
local at = 2 + n

local function neg(v) if v == '0' then return '0' end return '-' .. v end

-- An amount as exact decimal text (a Lua number from HINCRBY would lose digits in JSON).
local function text(v) if type(v) == 'number' then return string.format('%d', v) end return v end

local function ttl(drop) return math.max(1, math.ceil((tonumber(drop) - tonumber(now)) / 1000)) end

-- Returns true when it freed an expired lease.
local function purge(hash, leases)
  local ids = redis.call('ZRANGEBYSCORE', leases, '-inf', now)
  local freed = false
  for _, id in ipairs(ids) do
    local units = redis.call('HGET', hash, 'r:' .. id)
    if units then
      redis.call('HINCRBY', hash, 'reserved', neg(units))
      redis.call('HDEL', hash, 'r:' .. id)
      freed = true
    end
  end
  if #ids > 0 then redis.call('ZREMRANGEBYSCORE', leases, '-inf', now) end
  return freed
end

local function tally(hash)
  local v = redis.call('HMGET', hash, 'spent', 'reserved')
  return v[1] or '0', v[2] or '0'
end

-- ARGV[base + j] is the unit amount of threshold j for this window ('' when unknown).
-- spent and reserved: the window's amounts if the caller knows them (nil: read them).
-- Returns {spent, reserved, crossed thresholds}, or false when none was crossed (the usual
-- case: a short reply is a faster one).
local function claim(hash, base, spent, reserved)
  if n == 0 then return false end
  if not (spent and reserved) then spent, reserved = tally(hash) end
  local used = tonumber(spent) + tonumber(reserved)
  local crossed = {}
  for j = 1, n do
    local units = ARGV[base + j]
    if units ~= '' and used > 0 and used >= tonumber(units)
        and redis.call('HSETNX', hash, 'alert:' .. labels[j], '1') == 1 then
      crossed[#crossed + 1] = labels[j]
    end
  end
  if #crossed == 0 then return false end
  return {text(spent), text(reserved), crossed}
end
