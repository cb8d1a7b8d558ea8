--[[
  defer: gives leased jobs back as queued without counting the attempt (the
  job did not run: the budget is spent), delayed by delay ms. The reason is
  kept in the hash's `wait` field as "<attempts>|<reason>": the view shows it
  while the job is queued with that attempt count, so taking the job again
  (which counts an attempt) retires it without a write in take.
  KEYS: the 10 queue keys (see includes/queue-keys.lua)
  ARGV[1] job hash key prefix
  ARGV[2..] groups of 4: job_id, lease token, delay ms, reason
  Returns: the number of jobs given back
]]
--- @include "queue-keys"
--- @include "clock"
--- @include "job-records"

local prefix = ARGV[1]
local now = nowMs()
local leases, delayed = {}, {}
for i = 2, #ARGV, 4 do
  local id = ARGV[i]
  local key = prefix .. id
  local f = redis.call('HMGET', key, 'st', 'seq', 'att')
  if f[1] == 'running' and f[2] .. '.' .. f[3] == ARGV[i + 1] then
    local att = tonumber(f[3]) - 1
    redis.call('HSET', key, 'st', 'queued', 'att', att, 'wait', att .. '|' .. ARGV[i + 3])
    push(leases, id)
    push(delayed, now + math.max(1, tonumber(ARGV[i + 2])), id)
  end
end
zremMany(LEASES, leases)
zaddMany(DELAYED, delayed)
return #leases
