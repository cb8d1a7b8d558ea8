--[[
  enqueue: stores a batch of new jobs as queued, idempotent by job_id.
  KEYS: the 10 queue keys (see includes/queue-keys.lua)
  ARGV[1]  job hash key prefix
  ARGV[2..] groups of 5: job_id, spec JSON, meta JSON, priority, max_attempts
  Returns: flat list, per job in input order: created (1|0), status
    (a known job_id, also one earlier in this batch, is not stored again:
    created 0 with its current status)
]]
--- @include "queue-keys"
--- @include "clock"

local prefix = ARGV[1]
local n = (#ARGV - 1) / 5
local now = nowMs()
local seq = redis.call('INCRBY', SEQ, n) - n
local out, ready, active = {}, {}, {}
for i = 2, #ARGV, 5 do
  local id = ARGV[i]
  local key = prefix .. id
  local st = redis.call('HGET', key, 'st')
  if st then
    push(out, 0, st)
  else
    seq = seq + 1
    local prio = tonumber(ARGV[i + 3])
    redis.call('HSET', key, 'spec', ARGV[i + 1], 'meta', ARGV[i + 2], 'prio', prio, 'max', ARGV[i + 4],
      'st', 'queued', 'att', 0, 'seq', seq, 'enq', now)
    push(ready, -prio, readyMember(seq, id))
    push(active, seq, id)
    push(out, 1, 'queued')
  end
end
zaddMany(READY, ready)
zaddMany(ACTIVE, active)
return out
