--[[
  depth: counts for /metrics and backpressure. Delayed jobs whose time has
  come count as queued (take() would promote them).
  KEYS[1] ready ZSET, KEYS[2] delayed ZSET (score ready-at ms), KEYS[3] leases ZSET
  ARGV: none
  Returns: { queued, delayed, running }
]]
--- @include "clock"

local now = nowMs()
local due = redis.call('ZCOUNT', KEYS[2], '-inf', now)
return {
  redis.call('ZCARD', KEYS[1]) + due,
  redis.call('ZCARD', KEYS[2]) - due,
  redis.call('ZCARD', KEYS[3]),
}
