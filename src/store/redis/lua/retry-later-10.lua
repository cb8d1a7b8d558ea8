--[[
  retryLater: gives leased jobs back after a failed attempt. Items whose job
  is not running under that lease's token (stale lease, finished, cancelled)
  are ignored.
  KEYS: the 10 queue keys (see includes/queue-keys.lua)
  ARGV[1] job hash key prefix
  ARGV[2..] groups of 4: job_id, lease token, delay ms, attempt error JSON
  Returns: the number of jobs given back
]]
--- @include "queue-keys"
--- @include "clock"
--- @include "job-records"

local prefix = ARGV[1]
local now = nowMs()
local leases, ready, delayed = {}, {}, {}
for i = 2, #ARGV, 4 do
  local id = ARGV[i]
  local key = prefix .. id
  local f = redis.call('HMGET', key, 'st', 'seq', 'att', 'prio', 'errs')
  if f[1] == 'running' and f[2] .. '.' .. f[3] == ARGV[i + 1] then
    redis.call('HSET', key, 'st', 'queued', 'errs', appendError(f[5], ARGV[i + 3]))
    push(leases, id)
    local delay = tonumber(ARGV[i + 2])
    if delay > 0 then
      push(delayed, now + delay, id)
    else
      push(ready, -tonumber(f[4]), readyMember(f[2], id))
    end
  end
end
zremMany(LEASES, leases)
zaddMany(DELAYED, delayed)
zaddMany(READY, ready)
return #leases
