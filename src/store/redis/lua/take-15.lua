--[[
  take: leases up to `max` ready jobs, highest priority first, then oldest.
  First, in the same atomic step, it
    - reclaims expired leases (at most ARGV[4]): each records a LEASE_EXPIRED
      attempt error; a job on its last allowed attempt fails (result + metric
      go to the outbox), any other goes back to ready;
    - promotes delayed jobs whose time has come (at most ARGV[4]).
  KEYS: the 15 queue keys (see includes/queue-keys.lua)
  ARGV[1] max leases
  ARGV[2] lease length ms
  ARGV[3] result ttl ms (for jobs failed by lease expiry)
  ARGV[4] most expired leases / due delayed jobs handled per call
  Returns: { outbox field ('' if none), that field's value ('' if none),
    specs, states, errors } for the leases, in lease order:
      specs   list of the leased jobs' spec JSON, as read from the specs hash
      states  flat list of job_id, new packed state ("r|<attempt>|<seq>|<enqueued ms>|…",
              includes/job-state.lua) per lease: the client reads attempt, seq and
              enqueued-at from it, so the script does not take them apart
      errors  flat list of lease index (1-based), errors JSON, for leased jobs that have attempt errors
    The specs are passed on as read: every string a script builds is hashed
    byte by byte by Redis's Lua, so joining them here would cost more than
    the reply items it saves.
    The lease token is "<seq>.<attempt>": unique per job incarnation and attempt.
]]
--- @include "queue-keys"
--- @include "job-state"
--- @include "clock"
--- @include "job-records"

local max, leaseMs, ttl, sweepMax = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local now = nowMs()
local items = {}
local at = nil
local fin = newFinished()
local requeued, states, newErrs = {}, {}, {}

local expired = redis.call('ZRANGEBYSCORE', LEASES, '-inf', now, 'LIMIT', 0, sweepMax)
if #expired > 0 then
  zremMany(LEASES, expired)
  local vs = hmgetMany(STATE, expired)
  local es = errsOf(expired)
  local expiry = string.format('%d', now + ttl)
  for j, id in ipairs(expired) do
    local v = vs[j]
    local st, att, seq, enq, prio, maxAtt = parseState(v)
    if st == 'r' then
      at = at or isoTime(now)
      local message = 'lease of attempt ' .. att .. ' expired before the job was completed (its runner stopped or stalled)'
      local errs = appendError(es[j], '{"attempt":' .. att .. ',"substrate":null,"code":"LEASE_EXPIRED","message":' ..
        cjson.encode(message) .. ',"at":"' .. at .. '"}')
      push(newErrs, id, errs)
      if tonumber(att) >= tonumber(maxAtt) then
        local item = storeOutcome(id, 'failed', 'LEASE_EXPIRED', message, att, errs, now - tonumber(enq), at)
        push(items, item)
        finishJob(fin, id, v, st, att, seq, 'failed', expiry, #item)
      else
        push(states, id, restate(v, 'q', att, seq, enq))
        push(requeued, negPrio(prio), readyMember(seq, id))
      end
    end
  end
end

local due = redis.call('ZRANGEBYSCORE', DELAYED, '-inf', now, 'LIMIT', 0, sweepMax)
if #due > 0 then
  zremMany(DELAYED, due)
  local vs = hmgetMany(STATE, due)
  for j, id in ipairs(due) do
    local st, _, seq, _, prio = parseState(vs[j])
    if st == 'q' then push(requeued, negPrio(prio), readyMember(seq, id)) end
  end
end
hsetMany(ERRS, newErrs)
hsetMany(STATE, states)
flushFinished(fin)
zaddMany(READY, requeued)

local specs, running, expiries, leaseErrs = {}, {}, {}, {}
if max > 0 then
  -- ZRANGE + ZREMRANGEBYRANK rather than ZPOPMIN: ZPOPMIN replies with every
  -- member's score, which Redis 7.0 formats with printf("%.17g") (~1.5k
  -- instructions a member), and the scores are not needed here.
  local popped = redis.call('ZRANGE', READY, 0, max - 1)
  if #popped > 0 then redis.call('ZREMRANGEBYRANK', READY, 0, #popped - 1) end
  local ids = {}
  for i = 1, #popped do ids[i] = string.sub(popped[i], 17) end
  local vs = hmgetMany(STATE, ids)
  local sp = hmgetMany(SPECS, ids)
  local es = errsOf(ids)
  local expiry = string.format('%d', now + leaseMs)
  -- The per-job loop of the hot path, written out: explicit counters instead
  -- of push(), plain finds instead of a pattern (Lua's matcher cost ~8k
  -- instructions on a state string), no helper calls: each Lua call and each
  -- `#t` is a measurable share of a loop this small. Only the attempts are
  -- taken out of the state; the client reads seq and enqueued-at from the new
  -- state it is sent.
  local n = 0
  for j = 1, #ids do
    local v, spec = vs[j], sp[j]
    local e = spec and v and string.byte(v) == 113 and string.find(v, '|', 3, true) -- 'q' and the end of its attempts
    if e then
      local id = ids[j]
      local att = string.sub(v, 3, e - 1)
      att = NEXT_ATTEMPT[att] or intStr(tonumber(att) + 1)
      running[2 * n + 1] = id
      running[2 * n + 2] = 'r|' .. att .. string.sub(v, e)
      expiries[2 * n + 1] = expiry
      expiries[2 * n + 2] = id
      n = n + 1
      specs[n] = spec
      if es[j] then push(leaseErrs, n, es[j]) end
    end
  end
  hsetMany(STATE, running)
  zaddMany(LEASES, expiries)
end

local field = outboxPut(now, items)
return { field, field == '' and '' or '[' .. table.concat(items, ',') .. ']', specs, running, leaseErrs }
