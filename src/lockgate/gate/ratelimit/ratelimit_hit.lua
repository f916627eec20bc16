-- Count one request against every limit of it, all or nothing.
-- KEYS: lists...
-- ARGV: now, limits...
-- lists: one per limit (hit timestamps, newest first); limits: per limit its amount N and
-- window length in seconds.
-- Refused (nothing counted): "0 <index of the first limit
-- without room> <its oldest counted hit>". Admitted (counted in every list): "1", then per limit
-- " <hits in its window> <the oldest of them>" (one string: redis-py reads it far faster than an
-- array). The check is the `limits` library's
-- acquire_moving_window.lua (the N-th newest hit is inside the window: no room). Counting then
-- trims the hits that left the window, as they can never count again, so a list holds only its
-- window: the oldest hit is then usually inside it, and otherwise a binary search finds the
-- oldest that is (the `limits` library's moving_window.lua).
local now = tonumber(ARGV[1])
for i = 1, #KEYS do
  local amount, expiry = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  local nth = redis.call('LINDEX', KEYS[i], amount - 1)
  if nth and tonumber(nth) >= now - expiry then return '0 ' .. i .. ' ' .. nth end
end
local out = {1}
for i = 1, #KEYS do
  local key, amount, expiry = KEYS[i], tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  local floor, size = now - expiry, redis.call('LPUSH', key, ARGV[1])
  if size > amount then
    redis.call('LTRIM', key, 0, amount - 1)
    size = amount
  end
  redis.call('EXPIRE', key, expiry)
  local oldest = redis.call('LINDEX', key, size - 1)
  if tonumber(oldest) < floor then
    local low, high, found = 0, size - 1, 0
    oldest = ARGV[1]
    while low <= high do
      local mid = math.floor((low + high) / 2)
      local hit = redis.call('LINDEX', key, mid)
      if tonumber(hit) >= floor then
        found, oldest, low = mid, hit, mid + 1
      else
        high = mid - 1
      end
    end
    redis.call('LTRIM', key, 0, found)
    size = found + 1
  end
  out[#out + 1] = size
  out[#out + 1] = oldest
end
return table.concat(out, ' ')
