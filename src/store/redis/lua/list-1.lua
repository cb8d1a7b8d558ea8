--[[
  list: one page of a status index, newest (highest enqueue seq) first.
  The active index holds queued and running jobs, so members in the other
  status it holds are skipped. Members whose job hash expired, or whose job
  is in a status this index does not hold (an id re-used after its result
  expired), are dropped from the index on the way.
  KEYS[1] the status index ZSET (score enqueue seq, member job_id)
  ARGV[1] job hash key prefix
  ARGV[2] the status wanted
  ARGV[3] exclusive upper bound on seq ('+inf' for the first page)
  ARGV[4] page size; up to size + 1 matches are returned so the caller knows
          whether another page follows
  ARGV[5] the statuses this index holds, comma-separated
  ARGV[6] most members examined per call (bounds the time Redis is busy)
  Returns: { flat list of job_id, seq per match, seq of the last member examined
             ('' if none), 1 if the index was read to its end else 0 }
]]
local prefix, status, limit, scanMax = ARGV[1], ARGV[2], tonumber(ARGV[4]), tonumber(ARGV[6])
local holds = {}
for s in string.gmatch(ARGV[5], '[^,]+') do holds[s] = true end
local bound = ARGV[3] == '+inf' and '+inf' or '(' .. ARGV[3]
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
    local st = redis.call('HGET', prefix .. id, 'st')
    if st == status then
      out[#out + 1] = id
      out[#out + 1] = last
      if #out >= 2 * (limit + 1) then break end
    elseif not st or not holds[st] then
      redis.call('ZREM', KEYS[1], id)
    end
  end
end
return { out, last, exhausted }
