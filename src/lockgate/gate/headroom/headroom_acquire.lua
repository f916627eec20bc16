-- Admit one call (and its tokens) to a provider's window, or say what is missing.
-- KEYS: log, used, block
-- ARGV: now, window, rpm, tpm, tokens, id
-- rpm and tpm are -1 when there is no limit.
-- Returns {0, 0} admitted, or {kind, wait_ms}: 1 requests, 2 tokens, 3 upstream.
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local rpm, tpm, tokens = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local blocked = tonumber(redis.call('GET', KEYS[3]) or '0')
if blocked > now then return {3, blocked - now} end
if rpm < 0 and tpm < 0 then return {0, 0} end
trim(KEYS[1], KEYS[2], now - window)
if rpm >= 0 and redis.call('ZCARD', KEYS[1]) >= rpm then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {1, tonumber(oldest[2]) + window - now}
end
local used = tonumber(redis.call('GET', KEYS[2]) or '0')
if tpm >= 0 and used + tokens > tpm then
  local wait = window
  if tokens <= tpm then
    local need, freed = used + tokens - tpm, 0
    local entries = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
    for i = 1, #entries, 2 do
      freed = freed + tonumber(string.match(entries[i], ':(%d+)$'))
      if freed >= need then
        wait = tonumber(entries[i + 1]) + window - now
        break
      end
    end
  end
  return {2, wait}
end
redis.call('ZADD', KEYS[1], now, ARGV[6] .. ':' .. tokens)
redis.call('INCRBY', KEYS[2], tokens)
for i = 1, 2 do redis.call('PEXPIRE', KEYS[i], window) end
return {0, 0}
