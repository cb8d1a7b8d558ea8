--[[
  enqueue: stores a batch of new jobs as queued, idempotent by job_id.
  KEYS: the 15 queue keys (see includes/queue-keys.lua)
  ARGV[1..] groups of 5: job_id, spec JSON, priority, "<max_attempts>|<substrates>|<created_at>",
           enqueue seq ('' : numbered here, from the seq key; a sharded queue numbers
           a batch for all its shards at once, so list() order holds across them)
  Returns: flat list, per job in input order: created (1|0), status
    (a known job_id, also one earlier in this batch, is not stored again:
    created 0 with its current status; a finished job whose result has
    expired is unknown, and its id may be used again)
]]
--- @include "queue-keys"
--- @include "job-state"
--- @include "clock"

local n = #ARGV / 5
local now = nowMs()
local nowS = string.format('%d', now)
local ids = {}
for i = 1, #ARGV, 5 do ids[#ids + 1] = ARGV[i] end
local known = hmgetMany(STATE, ids)
local seq = 0
if n > 0 and ARGV[5] == '' then seq = redis.call('INCRBY', SEQ, n) - n end
local out, ready, active, states, specs, seen, reused = {}, {}, {}, {}, {}, {}, {}
for j = 1, n do
  local id = ids[j]
  local i = 5 * j - 4
  local st, _, _, at = parseState(known[j])
  if seen[id] then
    push(out, 0, 'queued')
  elseif st and not isGone(st, at, now) then
    push(out, 0, STATUS[st])
  else
    if st then push(reused, id) end
    seen[id] = true
    local seqS
    if ARGV[i + 4] == '' then
      seq = seq + 1
      seqS = string.format('%d', seq)
    else
      seqS = ARGV[i + 4]
    end
    local prio = ARGV[i + 2]
    push(states, id, 'q|0|' .. seqS .. '|' .. nowS .. '|' .. prio .. '|' .. ARGV[i + 3])
    push(specs, id, ARGV[i + 1])
    push(ready, negPrio(prio), readyMember(seqS, id))
    push(active, seqS, id)
    push(out, 1, 'queued')
  end
end
-- an id used again after its result expired starts without the old incarnation's errors
if #reused > 0 then hdelMany(ERRS, reused) end
hsetMany(STATE, states)
hsetMany(SPECS, specs)
zaddMany(READY, ready)
zaddMany(ACTIVE, active)
return out
