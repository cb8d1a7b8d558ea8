--[[
  extendLeases: pushes held leases' expiry to now + lease length.
  KEYS[1] leases ZSET (score expiry ms, member job_id)
  KEYS[2] state HASH (job_id -> packed state, includes/job-state.lua)
  ARGV[1] lease length ms
  ARGV[2..] pairs: job_id, lease token
  Returns: 1|0 per pair: whether the job is still running under that token
]]
--- @include "job-state"
--- @include "clock"

local expiry = nowMs() + tonumber(ARGV[1])
local ids = {}
for i = 2, #ARGV, 2 do ids[#ids + 1] = ARGV[i] end
local vs = #ids > 0 and redis.call('HMGET', KEYS[2], unpack(ids)) or {}
local flags, extended = {}, {}
for j, id in ipairs(ids) do
  local st, att, seq = parseState(vs[j])
  if st == 'r' and seq .. '.' .. att == ARGV[2 * j + 1] then
    extended[#extended + 1] = expiry
    extended[#extended + 1] = id
    flags[#flags + 1] = 1
  else
    flags[#flags + 1] = 0
  end
end
if #extended > 0 then redis.call('ZADD', KEYS[1], unpack(extended)) end
return flags
