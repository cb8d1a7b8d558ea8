--[[
  enqueue: stores a batch of new jobs as queued, idempotent by job_id.
  KEYS: the 15 queue keys (see includes/queue-keys.lua)
  ARGV[1]   '1' when the caller numbers the jobs (a sharded queue numbers a batch for
            all its shards at once, so list() order holds across them), '0' to
            number them here from the seq key
  ARGV[2..] groups of 3 (or 4 when numbered by the caller): job_id, spec JSON,
            "<priority>|<max_attempts>|<substrates>|<created_at>" (the state's tail)
            [, enqueue seq]
  Returns: { one character per job in input order, '1' created or '0' not;
             flat list of position (1-based), status for the jobs not created }
    (a known job_id, also one earlier in this batch, is not stored again:
    not created, with its current status; a finished job whose result has
    expired is unknown, and its id may be used again). Two reply items
    instead of two per job: the client reads a batch of 10,000 quickly.
]]
--- @include "queue-keys"
--- @include "job-state"
--- @include "clock"

local numbered = ARGV[1] == '1'
local width = numbered and 4 or 3
local n = (#ARGV - 1) / width
local now = nowMs()
local nowS = string.format('%d', now)
local ids = {}
for j = 1, n do ids[j] = ARGV[width * j - width + 2] end
local known = hmgetMany(STATE, ids)
local seq = 0
if n > 0 and not numbered then seq = redis.call('INCRBY', SEQ, n) - n end
local created, others, ready, active, states, specs, seen, reused = {}, {}, {}, {}, {}, {}, {}, {}
-- The per-job loop of the hot path, written out: counters instead of push()
-- (each Lua call and each `#t` is a measurable share of a loop this small).
local c = 0
local head = 'q|0|'
local scores = {}
for j = 1, n do
  local id = ids[j]
  local i = width * j - width + 2
  local v = known[j]
  local st, at
  if v then st, at = string.match(v, '^(%a)|%d+|%d+|(%d+)|') end
  if seen[id] then
    created[j] = '0'
    push(others, j, 'queued')
  elseif st and not isGone(st, at, now) then
    created[j] = '0'
    push(others, j, STATUS[st])
  else
    if st then push(reused, id) end
    seen[id] = true
    local seqS
    if numbered then
      seqS = ARGV[i + 3]
    else
      seq = seq + 1
      seqS = string.format('%d', seq)
    end
    local tail = ARGV[i + 2]
    states[2 * c + 1], states[2 * c + 2] = id, head .. seqS .. '|' .. nowS .. '|' .. tail
    specs[2 * c + 1], specs[2 * c + 2] = id, ARGV[i + 1]
    -- the ready score from the priority the tail starts with, negated once per distinct priority
    local prio = string.sub(tail, 1, string.find(tail, '|', 2, true) - 1)
    local score = scores[prio]
    if not score then
      score = negPrio(prio)
      scores[prio] = score
    end
    ready[2 * c + 1], ready[2 * c + 2] = score, readyMember(seqS, id)
    active[2 * c + 1], active[2 * c + 2] = seqS, id
    c = c + 1
    created[j] = '1'
  end
end
-- an id used again after its result expired starts without the old incarnation's errors
if #reused > 0 then hdelMany(ERRS, reused) end
hsetMany(STATE, states)
hsetMany(SPECS, specs)
zaddMany(READY, ready)
zaddMany(ACTIVE, active)
return { table.concat(created), others }
