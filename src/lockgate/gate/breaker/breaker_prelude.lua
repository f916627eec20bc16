-- Shared head of every breaker script: reads the config ARGV (1-11) and the state hash.
local now = tonumber(ARGV[1])
local bucket_ms, nbuckets = tonumber(ARGV[2]), tonumber(ARGV[3])
local min_calls, ratio, consec_max = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local base_cooldown, max_cooldown = tonumber(ARGV[7]), tonumber(ARGV[8])
local probes_max, lease_ms, threshold = tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11])

local v = redis.call('HMGET', KEYS[1], 'state', 'epoch', 'opened_until', 'cooldown', 'trips',
                     'consec')
local c = {state = v[1] or 'closed', epoch = tonumber(v[2] or '0'),
           opened_until = tonumber(v[3] or '0'), cooldown = tonumber(v[4] or '0'),
           trips = tonumber(v[5] or '0'), consec = tonumber(v[6] or '0')}
local moved = {}

local function due()
  if c.state == 'open' and now >= c.opened_until then
    c.state, c.epoch = 'half_open', c.epoch + 1
    redis.call('HSET', KEYS[1], 'state', c.state, 'epoch', c.epoch, 'hsucc', 0)
    redis.call('DEL', KEYS[3])
    moved = {'open', 'half_open'}
  end
end

local function window()
  local flat = redis.call('HGETALL', KEYS[2])
  local oldest = math.floor(now / bucket_ms) - nbuckets
  local calls, fails = 0, 0
  for i = 1, #flat, 2 do
    if tonumber(string.sub(flat[i], 3)) <= oldest then
      redis.call('HDEL', KEYS[2], flat[i])
    elseif string.sub(flat[i], 1, 1) == 'c' then
      calls = calls + tonumber(flat[i + 1])
    else
      fails = fails + tonumber(flat[i + 1])
    end
  end
  return calls, fails
end

local function trip(cooldown, old)
  c.state, c.epoch, c.opened_until = 'open', c.epoch + 1, now + cooldown
  redis.call('HSET', KEYS[1], 'state', c.state, 'epoch', c.epoch, 'opened_until', c.opened_until,
             'cooldown', cooldown, 'hsucc', 0)
  redis.call('HINCRBY', KEYS[1], 'trips', 1)
  redis.call('DEL', KEYS[3])
  return {old, 'open'}
end

local function close()
  redis.call('HSET', KEYS[1], 'state', 'closed', 'epoch', c.epoch + 1, 'opened_until', 0,
             'cooldown', 0, 'consec', 0, 'hsucc', 0)
  redis.call('DEL', KEYS[2], KEYS[3])
  return {'half_open', 'closed'}
end
