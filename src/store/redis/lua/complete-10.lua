--[[
  complete: terminal results for leased jobs. The first terminal write wins:
  an item counts only if the job is still running under that lease's token.
  Winners' outbox items (result record + metric) are filed under one outbox
  field; the caller copies them to the compatible keys and then deletes the
  field (see result-outbox.ts), so a crash in between loses nothing.
  KEYS: the 10 queue keys (see includes/queue-keys.lua)
  ARGV[1] job hash key prefix
  ARGV[2] result ttl ms
  ARGV[3..] groups of 4: job_id, lease token, status (succeeded|failed), outbox item JSON
  Returns: { outbox field ('' if no winner), flags }, flags 1|0 per item in input order
]]
--- @include "queue-keys"
--- @include "clock"
--- @include "job-records"

local prefix, ttl = ARGV[1], tonumber(ARGV[2])
local now = nowMs()
local items, flags = {}, {}
local fin = newFinished()
for i = 3, #ARGV, 4 do
  local id = ARGV[i]
  local key = prefix .. id
  local f = redis.call('HMGET', key, 'st', 'seq', 'att')
  if f[1] == 'running' and f[2] .. '.' .. f[3] == ARGV[i + 1] then
    finishJob(fin, key, id, 'running', ARGV[i + 2], f[2], ttl, now)
    push(items, ARGV[i + 3])
    push(flags, 1)
  else
    push(flags, 0)
  end
end
flushFinished(fin)
return { outboxPut(now, items), flags }
