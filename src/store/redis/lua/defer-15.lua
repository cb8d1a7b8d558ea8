--[[
  defer: gives leased jobs back as queued without counting the attempt (the
  job did not run: the budget is spent), delayed by delay ms. The reason is
  kept in the waits hash as "<attempts>|<reason>": the view shows it while
  the job is queued with that attempt count, so taking the job again (which
  counts an attempt) retires it without a write in take; finishing the job
  drops it.
  KEYS: the 15 queue keys (see includes/queue-keys.lua)
  ARGV[1..] groups of 4: job_id, lease token, delay ms, reason
  Returns: the number of jobs given back
]]
--- @include "queue-keys"
--- @include "job-state"
--- @include "clock"

local now = nowMs()
local ids = {}
for i = 1, #ARGV, 4 do ids[#ids + 1] = ARGV[i] end
local vs = hmgetMany(STATE, ids)
local leases, delayed, states, waits, seen = {}, {}, {}, {}, {}
for j, id in ipairs(ids) do
  local i = 4 * j - 3
  local v = vs[j]
  local st, att, seq, enq = parseState(v)
  if st == 'r' and not seen[id] and seq .. '.' .. att == ARGV[i + 1] then
    seen[id] = true
    att = intStr(tonumber(att) - 1)
    push(states, id, restate(v, 'q', att, seq, enq))
    push(waits, id, att .. '|' .. ARGV[i + 3])
    push(leases, id)
    push(delayed, now + math.max(1, tonumber(ARGV[i + 2])), id)
  end
end
hsetMany(STATE, states)
hsetMany(WAITS, waits)
zremMany(LEASES, leases)
zaddMany(DELAYED, delayed)
return #leases
