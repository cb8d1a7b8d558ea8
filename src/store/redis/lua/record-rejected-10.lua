--[[
  recordRejected: jobs that arrived through the compatible list with a
  readable job_id but failed validation become failed jobs at once (their
  result says why). Idempotent by job_id like enqueue: a known id is left as
  it is.
  KEYS: the 10 queue keys (see includes/queue-keys.lua)
  ARGV[1] job hash key prefix
  ARGV[2] result ttl ms
  ARGV[3..] groups of 3: job_id, meta JSON, outbox item JSON (failed record + metric)
  Returns: { outbox field ('' if none), flat list of created (1|0), status per item }
]]
--- @include "queue-keys"
--- @include "clock"
--- @include "job-records"

local prefix, ttl = ARGV[1], tonumber(ARGV[2])
local now = nowMs()
local items, out, failed, expiring = {}, {}, {}, {}
for i = 3, #ARGV, 3 do
  local id = ARGV[i]
  local key = prefix .. id
  local st = redis.call('HGET', key, 'st')
  if st then
    push(out, 0, st)
  else
    local seq = redis.call('INCR', SEQ)
    redis.call('HSET', key, 'meta', ARGV[i + 1], 'prio', 0, 'max', 1, 'st', 'failed', 'att', 0, 'seq', seq, 'enq', now)
    redis.call('PEXPIRE', key, ttl)
    push(failed, seq, id)
    push(expiring, now + ttl, id)
    push(items, ARGV[i + 2])
    push(out, 1, 'failed')
  end
end
zaddMany(DONE.failed, failed)
zaddMany(EXPIRING, expiring)
return { outboxPut(now, items), out }
