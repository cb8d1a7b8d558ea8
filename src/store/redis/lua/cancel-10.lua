--[[
  cancel: a queued or running job becomes cancelled, with a result record
  (error CANCELLED) and a metric filed in the outbox like any terminal write.
  KEYS: the 10 queue keys (see includes/queue-keys.lua)
  ARGV[1] job hash key prefix
  ARGV[2] job_id
  ARGV[3] result ttl ms
  Returns: { 'not_found' } | { 'finished' } | { 'cancelled', outbox field, outbox item JSON }
]]
--- @include "queue-keys"
--- @include "clock"
--- @include "job-records"

local prefix, id, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3])
local key = prefix .. id
local f = redis.call('HMGET', key, 'st', 'seq', 'att', 'errs', 'enq')
if not f[1] then return { 'not_found' } end
if f[1] ~= 'queued' and f[1] ~= 'running' then return { 'finished' } end
local now = nowMs()
local fin = newFinished()
finishJob(fin, key, id, f[1], 'cancelled', f[2], ttl, now)
flushFinished(fin)
local item = storeOutcome(id, 'cancelled', 'CANCELLED', 'job was cancelled', tonumber(f[3]), f[4],
  math.max(0, now - tonumber(f[5])), isoTime(now))
return { 'cancelled', outboxPut(now, { item }), item }
