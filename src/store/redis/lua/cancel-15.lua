--[[
  cancel: a queued or running job becomes cancelled, with a result record
  (error CANCELLED) and a metric filed in the outbox like any terminal write.
  KEYS: the 15 queue keys (see includes/queue-keys.lua)
  ARGV[1] job_id
  ARGV[2] result ttl ms
  Returns: { 'not_found' } | { 'finished' } | { 'cancelled', outbox field, outbox item JSON }
]]
--- @include "queue-keys"
--- @include "job-state"
--- @include "clock"
--- @include "job-records"

local id, ttl = ARGV[1], tonumber(ARGV[2])
local now = nowMs()
local v = redis.call('HGET', STATE, id)
local st, att, seq, at = parseState(v)
if not st or isGone(st, at, now) then return { 'not_found' } end
if st ~= 'q' and st ~= 'r' then return { 'finished' } end
local errs = redis.call('HGET', ERRS, id)
local item = storeOutcome(id, 'cancelled', 'CANCELLED', 'job was cancelled', att, errs,
  math.max(0, now - tonumber(at)), isoTime(now))
local fin = newFinished()
finishJob(fin, id, v, st, att, seq, 'cancelled', string.format('%d', now + ttl), #item)
flushFinished(fin)
return { 'cancelled', outboxPut(now, { item }), item }
