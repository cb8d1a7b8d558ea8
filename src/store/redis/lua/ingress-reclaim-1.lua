--[[
  ingressReclaim: hands claimed entries older than ARGV[1] ms (their claimer
  died or lost Redis mid-way) to this caller, re-stamped now so another
  caller leaves them alone while this one works on them. Their entry numbers
  stay the same, so the job_ids derived from them do too.
  KEYS[1] processing HASH: field entry number, value "<claimed at ms>|<raw entry>"
  ARGV[1] age in ms after which a claim counts as abandoned (0: all)
  ARGV[2] most entries returned
  Returns: flat list of entry number, raw entry (in no particular order)
]]
--- @include "clock"

local now = nowMs()
local cutoff = now - tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local out = {}
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if #out >= 2 * limit then break end
  local sep = string.find(all[i + 1], '|', 1, true)
  local stamp = tonumber(string.sub(all[i + 1], 1, sep - 1))
  if stamp <= cutoff then
    local raw = string.sub(all[i + 1], sep + 1)
    redis.call('HSET', KEYS[1], all[i], now .. '|' .. raw)
    out[#out + 1] = all[i]
    out[#out + 1] = raw
  end
end
return out
