--[[
  Names for the 15 keys every state-changing queue script receives, all
  under the queue's hash tag ("<prefix>:{<queue>}:"), in this order:
    KEYS[1]  ready      ZSET  score -priority, member "<seq:15 digits>|<job_id>"
                              (equal scores sort by member: FIFO within a priority)
    KEYS[2]  delayed    ZSET  score ready-at ms, member job_id
    KEYS[3]  leases     ZSET  score lease expiry ms, member job_id
    KEYS[4]  idx:active     ZSET  score enqueue seq, member job_id: queued and
                                  running jobs (list() filters by status, so
                                  take() has no index to update)
    KEYS[5]  idx:succeeded  ZSET  score enqueue seq, member job_id
    KEYS[6]  idx:failed     ZSET
    KEYS[7]  idx:cancelled  ZSET
    KEYS[8]  seq        STRING counter: enqueue order, outbox field ids
    KEYS[9]  outbox     HASH  field "<ms>:<n>", value JSON array of
                              {"id","r":<result record>,"m":<metric record>}
    KEYS[10] finished   LIST  "<expiry ms>|<record bytes>|<job_id>" per finished
                              job, oldest first: the order results expire and are pruned in
    KEYS[11] state      HASH  job_id -> packed state (includes/job-state.lua)
    KEYS[12] specs      HASH  job_id -> JobSpec JSON (spec-codec.ts encoding, passed through as is), while the job is unfinished
    KEYS[13] errs       HASH  job_id -> JSON array of attempt errors (only jobs that have some)
    KEYS[14] result bytes STRING  sum of the record bytes of the jobs in `finished`
    KEYS[15] waits      HASH  job_id -> "<attempts>|<reason>" of jobs given back unrun (defer):
                              shown while the job is queued with those attempts
  One field per job in three shared hashes instead of one hash key per job:
  a key costs ~100 bytes of bookkeeping (key, object, expiry entry) before
  its first field, and each script reads and writes a whole batch with one
  HMGET/HSET instead of one command per job.
]]
local READY, DELAYED, LEASES = KEYS[1], KEYS[2], KEYS[3]
local ACTIVE = KEYS[4]
local DONE = { succeeded = KEYS[5], failed = KEYS[6], cancelled = KEYS[7] }
local SEQ, OUTBOX, FINISHED = KEYS[8], KEYS[9], KEYS[10]
local STATE, SPECS, ERRS, RESULT_BYTES, WAITS = KEYS[11], KEYS[12], KEYS[13], KEYS[14], KEYS[15]

-- seq is a string of digits (no sprintf per member)
local ZEROS = string.rep('0', 15)
local function readyMember(seq, id)
  return string.sub(ZEROS, #seq + 1) .. seq .. '|' .. id
end

-- Batch writes go out as one command per 1000 members (well inside Lua's
-- unpack limit) instead of one command per job: each redis.call from Lua has
-- a fixed cost that dominates these tiny updates.
-- `cmd key args…` once per `step` arguments (pairs keep step even)
local function callInChunks(cmd, key, args, step)
  for i = 1, #args, step do redis.call(cmd, key, unpack(args, i, math.min(i + step - 1, #args))) end
end

local function zaddMany(key, flat) callInChunks('ZADD', key, flat, 2000) end
local function zremMany(key, members) callInChunks('ZREM', key, members, 1000) end
local function hsetMany(key, flat) callInChunks('HSET', key, flat, 2000) end
local function hdelMany(key, fields) callInChunks('HDEL', key, fields, 1000) end

-- HMGET of any number of fields; missing ones are false, as from redis.call.
local function hmgetMany(key, fields)
  if #fields <= 1000 then
    if #fields == 0 then return {} end
    return redis.call('HMGET', key, unpack(fields))
  end
  local out = {}
  for i = 1, #fields, 1000 do
    local part = redis.call('HMGET', key, unpack(fields, i, math.min(i + 999, #fields)))
    for j = 1, #part do out[#out + 1] = part[j] end
  end
  return out
end

-- Attempt errors of the given jobs; all false without a call when no job has any (the common case).
local function errsOf(ids)
  if #ids == 0 or redis.call('EXISTS', ERRS) == 0 then return {} end
  return hmgetMany(ERRS, ids)
end

local function push(list, a, b)
  local n = #list + 1
  list[n] = a
  if b ~= nil then list[n + 1] = b end
end
