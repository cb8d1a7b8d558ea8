--[[
  recordRejected: jobs that arrived through the compatible list with a
  readable job_id but failed validation become failed jobs at once (their
  result says why). Idempotent by job_id like enqueue: a known id is left as
  it is.
  KEYS: the 15 queue keys (see includes/queue-keys.lua)
  ARGV[1] result ttl ms
  ARGV[2] created_at for the jobs' state (ISO)
  ARGV[3..] groups of 3: job_id, outbox item JSON (failed record + metric), enqueue seq ('' : numbered here)
  Returns: { outbox field ('' if none), flat list of created (1|0), status per item }
]]
--- @include "queue-keys"
--- @include "job-state"
--- @include "clock"
--- @include "job-records"

local ttl, created = tonumber(ARGV[1]), ARGV[2]
local now = nowMs()
local ids = {}
for i = 3, #ARGV, 3 do ids[#ids + 1] = ARGV[i] end
local vs = hmgetMany(STATE, ids)
local items, out, failed, finished, states, seen = {}, {}, {}, {}, {}, {}
local bytes = 0
for j, id in ipairs(ids) do
  local st, _, _, at = parseState(vs[j])
  if seen[id] then
    push(out, 0, 'failed')
  elseif st and not isGone(st, at, now) then
    push(out, 0, STATUS[st])
  else
    seen[id] = true
    local given = ARGV[3 * j + 2]
    local seq = given == '' and redis.call('INCR', SEQ) or tonumber(given)
    push(states, id, 'f|0|' .. seq .. '|' .. (now + ttl) .. '|0|1||' .. created)
    push(failed, seq, id)
    local item = ARGV[3 * j + 1]
    push(finished, (now + ttl) .. '|' .. #item .. '|' .. id)
    bytes = bytes + #item
    push(items, item)
    push(out, 1, 'failed')
  end
end
hsetMany(STATE, states)
zaddMany(DONE.failed, failed)
for i = 1, #finished, 1000 do redis.call('RPUSH', FINISHED, unpack(finished, i, math.min(i + 999, #finished))) end
if bytes > 0 then redis.call('INCRBY', RESULT_BYTES, bytes) end
return { outboxPut(now, items), out }
