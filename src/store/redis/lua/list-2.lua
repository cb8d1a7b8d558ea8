--[[
  list: one page of a status index, newest (highest enqueue seq) first.
  The active index holds queued and running jobs, so members in the other
  status it holds are skipped. Members whose job is unknown or finished
  past its result's expiry, or in a status this index does not hold (an id
  used again since), are dropped from the index on the way.
  KEYS[1] the status index ZSET (score enqueue seq, member job_id)
  KEYS[2] state HASH (job_id -> packed state, includes/job-state.lua)
  ARGV[1] the status wanted
  ARGV[2] exclusive upper bound on seq ('+inf' for the first page)
  ARGV[3] page size; up to size + 1 matches are returned so the caller knows
          whether another page follows
  ARGV[4] the statuses this index holds, comma-separated
  ARGV[5] most members examined per call (bounds the time Redis is busy)
  Returns: { flat list of job_id, seq per match, seq of the last member examined
             ('' if none), 1 if the index was read to its end else 0 }
]]
--- @include "job-state"
--- @include "clock"

local status, limit, scanMax = ARGV[1], tonumber(ARGV[3]), tonumber(ARGV[5])
local now = nowMs()
local holds = {}
for s in string.gmatch(ARGV[4], '[^,]+') do holds[s] = true end
local bound = ARGV[2] == '+inf' and '+inf' or '(' .. ARGV[2]
local out, last, scanned, exhausted = {}, '', 0, 0
while #out < 2 * (limit + 1) do
  if scanned >= scanMax then break end
  local chunk = redis.call('ZREVRANGEBYSCORE', KEYS[1], bound, '-inf', 'WITHSCORES', 'LIMIT', 0, limit + 1)
  if #chunk == 0 then exhausted = 1 break end
  for i = 1, #chunk, 2 do
    local id = chunk[i]
    last = chunk[i + 1]
    bound = '(' .. last
    scanned = scanned + 1
    local st, _, _, at = parseState(redis.call('HGET', KEYS[2], id))
    local name = st and not isGone(st, at, now) and STATUS[st]
    if name == status then
      out[#out + 1] = id
      out[#out + 1] = last
      if #out >= 2 * (limit + 1) then break end
    elseif not name or not holds[name] then
      redis.call('ZREM', KEYS[1], id)
    end
  end
end
return { out, last, exhausted }
