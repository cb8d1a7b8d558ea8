--[[
  reclaimOutbox: hands outbox entries older than ARGV[1] ms (their writer
  died or lost Redis before copying them out) to this caller. Each entry is
  re-filed under a fresh field stamped now, atomically, so concurrent callers
  never both take the same entry, and one that dies holding it only delays it.
  KEYS[1] outbox HASH (field "<ms>:<n>")
  ARGV[1] age in ms after which an entry counts as abandoned
  ARGV[2] most entries returned
  Returns: flat list of new field, value
]]
--- @include "clock"

local now = nowMs()
local cutoff = now - tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local out = {}
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if #out >= 2 * limit then break end
  local field = all[i]
  local stamp = tonumber(string.match(field, '^(%d+):'))
  if stamp and stamp <= cutoff then
    local fresh = now .. ':' .. string.match(field, ':(.*)$')
    redis.call('HDEL', KEYS[1], field)
    redis.call('HSET', KEYS[1], fresh, all[i + 1])
    out[#out + 1] = fresh
    out[#out + 1] = all[i + 1]
  end
end
return out
