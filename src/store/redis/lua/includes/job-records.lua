--[[
  Terminal transitions and the records a store writes on its own. Needs the
  queue-keys, job-state and clock includes. The record shapes mirror
  src/store/terminal-records.ts: they are built here, not in TypeScript,
  because the decision (cancel, last lease expired) and the record must land
  in Redis atomically.
]]

-- Terminal transitions of one script call, collected so every set, list and
-- hash is written once per batch (flushFinished).
local function newFinished()
  return { leases = {}, ready = {}, delayed = {}, active = {},
    succeeded = {}, failed = {}, cancelled = {}, finished = {}, state = {}, specs = {}, bytes = 0 }
end

-- Moves a job (state string v, parsed st/att/seq) to the terminal status `to`:
-- out of the ready/delayed/leases sets, into the status index, spec dropped,
-- state kept until its result (of `bytes` bytes) expires at `expiry` (ms, a
-- string: the caller formats it once per batch). complete-15.lua has this
-- inline for running jobs (its hot path): keep the two in step.
local function finishJob(fin, id, v, st, att, seq, to, expiry, bytes)
  if st == 'r' then
    push(fin.leases, id)
  else
    push(fin.ready, readyMember(seq, id))
    push(fin.delayed, id)
  end
  push(fin.active, id)
  push(fin[to], seq, id)
  push(fin.finished, expiry .. '|' .. intStr(bytes) .. '|' .. id)
  fin.bytes = fin.bytes + bytes
  push(fin.state, id, restate(v, CODE[to], att, seq, expiry))
  push(fin.specs, id)
end

local function flushFinished(fin)
  zremMany(LEASES, fin.leases)
  zremMany(READY, fin.ready)
  zremMany(DELAYED, fin.delayed)
  zremMany(ACTIVE, fin.active)
  zaddMany(DONE.succeeded, fin.succeeded)
  zaddMany(DONE.failed, fin.failed)
  zaddMany(DONE.cancelled, fin.cancelled)
  for i = 1, #fin.finished, 1000 do redis.call('RPUSH', FINISHED, unpack(fin.finished, i, math.min(i + 999, #fin.finished))) end
  if fin.bytes > 0 then redis.call('INCRBY', RESULT_BYTES, fin.bytes) end
  hsetMany(STATE, fin.state)
  hdelMany(SPECS, fin.specs)
  if #fin.specs > 0 and redis.call('EXISTS', WAITS) == 1 then hdelMany(WAITS, fin.specs) end
end

-- errs is a JSON array string (or false); appends one JSON object to it.
local function appendError(errs, err)
  if not errs or errs == '[]' then return '[' .. err .. ']' end
  return string.sub(errs, 1, -2) .. ',' .. err .. ']'
end

-- One outbox item {"id","r","m"} for a result the store writes itself.
local function storeOutcome(id, status, code, message, attempts, errs, queueMs, at)
  local jid = cjson.encode(id)
  local record = '{"job_id":' .. jid .. ',"status":"' .. status .. '","success":false,"substrate":null,' ..
    '"result":null,"exec_time_ms":0,"queue_time_ms":' .. queueMs .. ',"bytes_processed":0,"cost_usd":0,' ..
    '"attempts":' .. attempts .. ',"error":{"code":"' .. code .. '","message":' .. cjson.encode(message) .. '},' ..
    '"attempt_errors":' .. (errs or '[]') .. ',"completed_at":"' .. at .. '"}'
  local metric = '{"timestamp":"' .. at .. '","job_id":' .. jid .. ',"substrate":null,"success":false,' ..
    '"status":"' .. status .. '","exec_time_ms":0,"queue_time_ms":' .. queueMs .. ',"bytes_processed":0,' ..
    '"cost_usd":0,"attempts":' .. attempts .. '}'
  return '{"id":' .. jid .. ',"r":' .. record .. ',"m":' .. metric .. '}'
end

-- The outbox item of one result: the shape of outboxItemJson in result-outbox.ts.
-- job ids are [A-Za-z0-9._:-] (checked before they reach Redis), so they need no escaping.
local function outboxItem(id, record, metric)
  return '{"id":"' .. id .. '","r":' .. record .. ',"m":' .. metric .. '}'
end

-- Writes results to the original's keys inside the deciding script, what
-- deliverOutbox (result-outbox.ts) does after it in outbox mode: SET each
-- result with its ttl, LPUSH the metrics (newest first) and trim them,
-- announce the ids on the done channel.
-- `ttl` is the string the script was given (a Lua number would be formatted with sprintf per SET).
local function deliverNow(resultPrefix, ttl, metricsKey, metricsLimit, doneChannel, ids, records, metrics)
  if #ids == 0 then return end
  -- PSETEX rather than SET … PX: three arguments instead of five and no option parsing, per job
  for i = 1, #ids do redis.call('PSETEX', resultPrefix .. ids[i], ttl, records[i]) end
  if metricsLimit > 0 then
    for i = 1, #metrics, 1000 do redis.call('LPUSH', metricsKey, unpack(metrics, i, math.min(i + 999, #metrics))) end
    redis.call('LTRIM', metricsKey, 0, metricsLimit - 1)
  end
  redis.call('PUBLISH', doneChannel, '["' .. table.concat(ids, '","') .. '"]')
end

-- Files the batch's outbox items under a fresh field; '' when there are none.
local function outboxPut(now, items)
  if #items == 0 then return '' end
  local field = now .. ':' .. redis.call('INCR', SEQ)
  redis.call('HSET', OUTBOX, field, '[' .. table.concat(items, ',') .. ']')
  return field
end
