--[[
  peek: what a shard would hand out next, so a sharded take() can draw from
  each shard exactly its part of the best `n` jobs across all shards.
  KEYS[1] ready ZSET, KEYS[2] delayed ZSET, KEYS[3] leases ZSET
  ARGV[1] n
  Returns: { flat list of the first n ready members and their scores,
             delayed jobs now due + leases now expired (take() requeues them first) }
]]
--- @include "clock"

local now = nowMs()
local n = tonumber(ARGV[1])
local head = n > 0 and redis.call('ZRANGE', KEYS[1], 0, n - 1, 'WITHSCORES') or {}
return { head, redis.call('ZCOUNT', KEYS[2], '-inf', now) + redis.call('ZCOUNT', KEYS[3], '-inf', now) }
