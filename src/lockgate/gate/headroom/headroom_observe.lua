-- Remember what an upstream reported: a block until some time, and its remaining quota.
-- KEYS: block, up
-- ARGV: now, until, up_ttl, fields...
-- until is 0 for no block, up_ttl 0 for no report; fields are the report's field, value pairs.
local now, till, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
if till > now and till > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], till, 'PX', till - now)
end
if ttl > 0 then
  redis.call('DEL', KEYS[2])
  if #ARGV > 3 then
    redis.call('HSET', KEYS[2], unpack(ARGV, 4))
    redis.call('PEXPIRE', KEYS[2], ttl)
  end
end
return 1
