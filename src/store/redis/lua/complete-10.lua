--[[
  complete: terminal results for leased jobs. The first terminal write wins:
  an item counts only if the job is still running under that lease's token.
  The winners' result records and metrics are either
    - written here, atomically with the decision (ARGV[3] not empty): SET
      <ARGV[3]><job_id> with the result ttl, LPUSH + LTRIM the metrics list,
      PUBLISH the ids. The original's keys are outside the queue's hash tag,
      which a standalone Redis allows and a Cluster does not; or
    - filed under one outbox field (ARGV[3] empty, for Redis Cluster); the
      caller copies them to the original's keys and then deletes the field
      (see result-outbox.ts), so a crash in between loses nothing.
  KEYS: the 10 queue keys (see includes/queue-keys.lua)
  ARGV[1] job hash key prefix
  ARGV[2] result ttl ms
  ARGV[3] result key prefix (`<prefix>:results:`), '' to use the outbox
  ARGV[4] metrics list key
  ARGV[5] metrics limit (0: no metrics kept)
  ARGV[6] done channel
  ARGV[7..] groups of 5: job_id, lease token, status (succeeded|failed), result JSON, metric JSON
  Returns: { outbox field ('' if none was filed), flags }, flags 1|0 per item in input order
]]
--- @include "queue-keys"
--- @include "clock"
--- @include "job-records"

local prefix, ttl, resultPrefix = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local now = nowMs()
local flags = {}
local ids, records, metrics = {}, {}, {}
local fin = newFinished()
for i = 7, #ARGV, 5 do
  local id = ARGV[i]
  local key = prefix .. id
  local f = redis.call('HMGET', key, 'st', 'seq', 'att')
  if f[1] == 'running' and f[2] .. '.' .. f[3] == ARGV[i + 1] then
    finishJob(fin, key, id, 'running', ARGV[i + 2], f[2], ttl, now)
    push(ids, id)
    push(records, ARGV[i + 3])
    push(metrics, ARGV[i + 4])
    push(flags, 1)
  else
    push(flags, 0)
  end
end
flushFinished(fin)
if resultPrefix ~= '' then
  deliverNow(resultPrefix, ttl, ARGV[4], tonumber(ARGV[5]), ARGV[6], ids, records, metrics)
  return { '', flags }
end
local items = {}
for i = 1, #ids do push(items, outboxItem(ids[i], records[i], metrics[i])) end
return { outboxPut(now, items), flags }
