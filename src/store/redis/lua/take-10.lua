--[[
  take: leases up to `max` ready jobs, highest priority first, then oldest.
  First, in the same atomic step, it
    - reclaims expired leases (at most ARGV[5]): each records a LEASE_EXPIRED
      attempt error; a job on its last allowed attempt fails (result + metric
      go to the outbox), any other goes back to ready;
    - promotes delayed jobs whose time has come (at most ARGV[5]).
  KEYS: the 10 queue keys (see includes/queue-keys.lua)
  ARGV[1] job hash key prefix
  ARGV[2] max leases
  ARGV[3] lease length ms
  ARGV[4] result ttl ms (for jobs failed by lease expiry)
  ARGV[5] most expired leases / due delayed jobs handled per call
  Returns: { outbox field ('' if none), that field's value ('' if none), leases },
    leases a flat list of
    5 per lease: spec JSON, attempt, seq, enqueued-at ms, errors JSON ('' if none).
    The lease token is "<seq>.<attempt>": unique per job incarnation and attempt.
]]
--- @include "queue-keys"
--- @include "clock"
--- @include "job-records"

local prefix, max, leaseMs, ttl, sweepMax = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local now = nowMs()
local items = {}
local at = nil
local fin = newFinished()
local requeued = {}

local expired = redis.call('ZRANGEBYSCORE', LEASES, '-inf', now, 'LIMIT', 0, sweepMax)
zremMany(LEASES, expired)
for _, id in ipairs(expired) do
  local key = prefix .. id
  local f = redis.call('HMGET', key, 'st', 'att', 'max', 'seq', 'prio', 'errs', 'enq')
  if f[1] == 'running' then
    at = at or isoTime(now)
    local att = tonumber(f[2])
    local message = 'lease of attempt ' .. att .. ' expired before the job was completed (its runner stopped or stalled)'
    local errs = appendError(f[6], '{"attempt":' .. att .. ',"substrate":null,"code":"LEASE_EXPIRED","message":' ..
      cjson.encode(message) .. ',"at":"' .. at .. '"}')
    redis.call('HSET', key, 'errs', errs)
    if att >= tonumber(f[3]) then
      finishJob(fin, key, id, 'running', 'failed', f[4], ttl, now)
      push(items, storeOutcome(id, 'failed', 'LEASE_EXPIRED', message, att, errs, now - tonumber(f[7]), at))
    else
      redis.call('HSET', key, 'st', 'queued')
      push(requeued, -tonumber(f[5]), readyMember(f[4], id))
    end
  end
end

local due = redis.call('ZRANGEBYSCORE', DELAYED, '-inf', now, 'LIMIT', 0, sweepMax)
zremMany(DELAYED, due)
for _, id in ipairs(due) do
  local f = redis.call('HMGET', prefix .. id, 'st', 'seq', 'prio')
  if f[1] == 'queued' then push(requeued, -tonumber(f[3]), readyMember(f[2], id)) end
end
flushFinished(fin)
zaddMany(READY, requeued)

local leases, expiries = {}, {}
if max > 0 then
  local popped = redis.call('ZPOPMIN', READY, max)
  for i = 1, #popped, 2 do
    local id = string.sub(popped[i], 17)
    local key = prefix .. id
    local f = redis.call('HMGET', key, 'st', 'spec', 'seq', 'enq', 'errs', 'att')
    if f[1] == 'queued' then
      local att = tonumber(f[6]) + 1
      redis.call('HSET', key, 'st', 'running', 'att', att)
      push(expiries, now + leaseMs, id)
      push(leases, f[2], att)
      push(leases, f[3], f[4])
      push(leases, f[5] or '')
    end
  end
end
zaddMany(LEASES, expiries)

local field = outboxPut(now, items)
return { field, field == '' and '' or '[' .. table.concat(items, ',') .. ']', leases }
