--[[
  Terminal transitions and the records a store writes on its own. Needs the
  queue-keys and clock includes. The record shapes mirror
  src/store/memory/terminal-records.ts: they are built here, not in
  TypeScript, because the decision (cancel, last lease expired) and the
  record must land in Redis atomically.
]]

-- Terminal transitions of one script call, collected so the sorted sets are
-- updated once per batch (flushFinished) while each job hash is updated at once.
local function newFinished()
  return { leases = {}, ready = {}, delayed = {}, active = {},
    succeeded = {}, failed = {}, cancelled = {}, expiring = {} }
end

-- Moves a job from `from` (queued|running) to the terminal status `to`: out
-- of the ready/delayed/leases sets, into the status index, spec emptied, hash
-- kept for ttl ms. The set updates wait in `fin` until flushFinished(fin).
local function finishJob(fin, key, id, from, to, seq, ttl, now)
  if from == 'running' then
    push(fin.leases, id)
  else
    push(fin.ready, readyMember(seq, id))
    push(fin.delayed, id)
  end
  push(fin.active, id)
  push(fin[to], seq, id)
  push(fin.expiring, now + ttl, id)
  redis.call('HSET', key, 'st', to, 'spec', '')
  redis.call('PEXPIRE', key, ttl)
end

local function flushFinished(fin)
  zremMany(LEASES, fin.leases)
  zremMany(READY, fin.ready)
  zremMany(DELAYED, fin.delayed)
  zremMany(ACTIVE, fin.active)
  zaddMany(DONE.succeeded, fin.succeeded)
  zaddMany(DONE.failed, fin.failed)
  zaddMany(DONE.cancelled, fin.cancelled)
  zaddMany(EXPIRING, fin.expiring)
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
local function outboxItem(id, record, metric)
  return '{"id":' .. cjson.encode(id) .. ',"r":' .. record .. ',"m":' .. metric .. '}'
end

-- Writes results to the original's keys inside the deciding script, what
-- deliverOutbox (result-outbox.ts) does after it in outbox mode: SET each
-- result with its ttl, LPUSH the metrics (newest first) and trim them,
-- announce the ids on the done channel.
local function deliverNow(resultPrefix, ttl, metricsKey, metricsLimit, doneChannel, ids, records, metrics)
  if #ids == 0 then return end
  for i = 1, #ids do redis.call('SET', resultPrefix .. ids[i], records[i], 'PX', ttl) end
  if metricsLimit > 0 then
    for i = 1, #metrics, 1000 do redis.call('LPUSH', metricsKey, unpack(metrics, i, math.min(i + 999, #metrics))) end
    redis.call('LTRIM', metricsKey, 0, metricsLimit - 1)
  end
  redis.call('PUBLISH', doneChannel, cjson.encode(ids))
end

-- Files the batch's outbox items under a fresh field; '' when there are none.
local function outboxPut(now, items)
  if #items == 0 then return '' end
  local field = now .. ':' .. redis.call('INCR', SEQ)
  redis.call('HSET', OUTBOX, field, '[' .. table.concat(items, ',') .. ']')
  return field
end
