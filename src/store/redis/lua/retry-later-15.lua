--[[
  retryLater: gives leased jobs back after a failed attempt. Items whose job
  is not running under that lease's token (stale lease, finished, cancelled)
  are ignored.
  KEYS: the 15 queue keys (see includes/queue-keys.lua)
  ARGV[1..] groups of 4: job_id, lease token, delay ms, attempt error JSON
  Returns: the number of jobs given back
]]
--- @include "queue-keys"
--- @include "job-state"
--- @include "clock"
--- @include "job-records"

local now = nowMs()
local ids = {}
for i = 1, #ARGV, 4 do ids[#ids + 1] = ARGV[i] end
local vs = hmgetMany(STATE, ids)
local es = errsOf(ids)
local leases, ready, delayed, states, errs, seen = {}, {}, {}, {}, {}, {}
for j, id in ipairs(ids) do
  local i = 4 * j - 3
  local v = vs[j]
  local st, att, seq, enq, prio = parseState(v)
  if st == 'r' and not seen[id] and seq .. '.' .. att == ARGV[i + 1] then
    seen[id] = true
    push(states, id, restate(v, 'q', att, seq, enq))
    push(errs, id, appendError(es[j], ARGV[i + 3]))
    push(leases, id)
    local delay = tonumber(ARGV[i + 2])
    if delay > 0 then
      push(delayed, now + delay, id)
    else
      push(ready, negPrio(prio), readyMember(seq, id))
    end
  end
end
hsetMany(STATE, states)
hsetMany(ERRS, errs)
zremMany(LEASES, leases)
zaddMany(DELAYED, delayed)
zaddMany(READY, ready)
return #leases
