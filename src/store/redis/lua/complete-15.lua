--[[
  complete: terminal results for leased jobs. The first terminal write wins:
  an item counts only if the job is still running under that lease's token.
  The winners' result records and metrics are either
    - written here, atomically with the decision (ARGV[2] not empty): SET
      <ARGV[2]><job_id> with the result ttl, LPUSH + LTRIM the metrics list,
      PUBLISH the ids. The original's keys are outside the queue's hash tag,
      which a standalone Redis allows and a Cluster does not; or
    - filed under one outbox field (ARGV[2] empty, for Redis Cluster); the
      caller copies them to the original's keys and then deletes the field
      (see result-outbox.ts), so a crash in between loses nothing.
  KEYS: the 15 queue keys (see includes/queue-keys.lua)
  ARGV[1] result ttl ms
  ARGV[2] result key prefix (`<prefix>:results:`), '' to use the outbox
  ARGV[3] metrics list key
  ARGV[4] metrics limit (0: no metrics kept)
  ARGV[5] done channel
  ARGV[6..] groups of 5: job_id, lease token, status (succeeded|failed), result JSON, metric JSON
  Returns: { outbox field ('' if none was filed), flags }, flags one character per item in
    input order, '1' if it won, '0' if not (one reply item for the batch)
]]
--- @include "queue-keys"
--- @include "job-state"
--- @include "clock"
--- @include "job-records"

local ttl, resultPrefix = ARGV[1], ARGV[2]
local now = nowMs()
local expiry = string.format('%d', now + tonumber(ttl))
local ids = {}
for i = 6, #ARGV, 5 do ids[(i - 1) / 5] = ARGV[i] end
local vs = hmgetMany(STATE, ids)
local flags = {}
local won, records, metrics = {}, {}, {}
local fin = newFinished()
local decided = {}
-- The per-job loop of the hot path, written out (finishJob for running jobs,
-- with counters instead of push()): each Lua call and each `#t` is a
-- measurable share of a loop this small.
local leases, active, specs, finished, states = fin.leases, fin.active, fin.specs, fin.finished, fin.state
local byStatus, counts = { succeeded = fin.succeeded, failed = fin.failed }, { succeeded = 0, failed = 0 }
local w, bytes = 0, 0
for j = 1, #ids do
  local id = ids[j]
  local i = 5 * j + 1
  local v = vs[j]
  local att, seq, e
  if v then att, seq, e = string.match(v, '^r|(%d+)|(%d+)|%d+()') end
  if att and not decided[id] and seq .. '.' .. att == ARGV[i + 1] then
    decided[id] = true
    local status, record = ARGV[i + 2], ARGV[i + 3]
    local index, c = byStatus[status], counts[status]
    index[c + 1], index[c + 2] = seq, id
    counts[status] = c + 2
    w = w + 1
    leases[w], active[w], specs[w] = id, id, id
    won[w], records[w], metrics[w] = id, record, ARGV[i + 4]
    local size = #record
    finished[w] = expiry .. '|' .. intStr(size) .. '|' .. id
    bytes = bytes + size
    states[2 * w - 1] = id
    states[2 * w] = CODE[status] .. '|' .. att .. '|' .. seq .. '|' .. expiry .. string.sub(v, e)
    flags[j] = '1'
  else
    flags[j] = '0'
  end
end
fin.bytes = bytes
flushFinished(fin)
if resultPrefix ~= '' then
  deliverNow(resultPrefix, ttl, ARGV[3], tonumber(ARGV[4]), ARGV[5], won, records, metrics)
  return { '', table.concat(flags) }
end
local items = {}
for j = 1, #won do push(items, outboxItem(won[j], records[j], metrics[j])) end
return { outboxPut(now, items), table.concat(flags) }
