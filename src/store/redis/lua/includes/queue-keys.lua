--[[
  Names for the 10 keys every state-changing queue script receives, all
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
    KEYS[10] expiring   ZSET  score result expiry ms, member job_id (sweep order)
  Job hashes are "<ARGV[1]><job_id>", in the same slot thanks to the tag.
  Job hash fields: spec (JobSpec JSON, emptied when terminal), st (status),
  att (attempts started), seq, enq (enqueued at ms), prio, max (max_attempts),
  meta (JSON view fields), errs (JSON array of attempt errors).
]]
local READY, DELAYED, LEASES = KEYS[1], KEYS[2], KEYS[3]
local ACTIVE = KEYS[4]
local DONE = { succeeded = KEYS[5], failed = KEYS[6], cancelled = KEYS[7] }
local SEQ, OUTBOX, EXPIRING = KEYS[8], KEYS[9], KEYS[10]

local function readyMember(seq, id)
  return string.format('%015d|%s', tonumber(seq), id)
end

-- Sorted-set writes of a whole batch go out as one command per 1000 members
-- (well inside Lua's unpack limit) instead of one command per job: each
-- redis.call from Lua has a fixed cost that dominates these tiny updates.
local function zaddMany(key, flat)
  for i = 1, #flat, 2000 do redis.call('ZADD', key, unpack(flat, i, math.min(i + 1999, #flat))) end
end

local function zremMany(key, members)
  for i = 1, #members, 1000 do redis.call('ZREM', key, unpack(members, i, math.min(i + 999, #members))) end
end

local function push(list, a, b)
  list[#list + 1] = a
  if b ~= nil then list[#list + 1] = b end
end
