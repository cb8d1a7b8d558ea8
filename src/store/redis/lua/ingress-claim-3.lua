--[[
  ingressClaim: moves up to ARGV[1] entries from the original's job list
  (LPUSHed, so the oldest is at the tail) into this queue's processing hash,
  oldest first, each under a fresh number. The move is atomic, so an entry is
  always in exactly one of the two places; the number is kept until the entry
  is processed and is what derives a job_id for entries without one, so
  processing it twice (after a crash) enqueues the same job twice, which
  enqueue ignores.
  All three keys share one slot: the list's own name is the hash tag of the
  other two ("{<prefix>:jobs:queue}:...").
  KEYS[1] the original list "<prefix>:jobs:queue"
  KEYS[2] processing HASH: field entry number, value "<claimed at ms>|<raw entry>"
  KEYS[3] entry number counter STRING
  ARGV[1] most entries claimed
  Returns: flat list of entry number, raw entry (oldest first)
]]
--- @include "clock"

local entries = redis.call('RPOP', KEYS[1], tonumber(ARGV[1]))
if not entries then return {} end
local now = nowMs()
local last = redis.call('INCRBY', KEYS[3], #entries)
local out = {}
for i, raw in ipairs(entries) do
  local number = last - #entries + i
  redis.call('HSET', KEYS[2], number, now .. '|' .. raw)
  out[#out + 1] = number
  out[#out + 1] = raw
end
return out
