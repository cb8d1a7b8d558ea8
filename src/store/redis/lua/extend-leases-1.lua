--[[
  extendLeases: pushes held leases' expiry to now + lease length.
  KEYS[1] leases ZSET (score expiry ms, member job_id)
  ARGV[1] job hash key prefix
  ARGV[2] lease length ms
  ARGV[3..] pairs: job_id, lease token
  Returns: 1|0 per pair: whether the job is still running under that token
]]
--- @include "clock"

local prefix, leaseMs = ARGV[1], tonumber(ARGV[2])
local expiry = nowMs() + leaseMs
local flags = {}
for i = 3, #ARGV, 2 do
  local id = ARGV[i]
  local f = redis.call('HMGET', prefix .. id, 'st', 'seq', 'att')
  if f[1] == 'running' and f[2] .. '.' .. f[3] == ARGV[i + 1] then
    redis.call('ZADD', KEYS[1], expiry, id)
    flags[#flags + 1] = 1
  else
    flags[#flags + 1] = 0
  end
end
return flags
