--[[
  sweepExpired: forgets finished jobs whose results have expired: removes
  them from the terminal status indexes. Redis expires the job hashes itself;
  this only keeps the indexes from growing without bound.
  A due id needs no check: if the id was enqueued again and finished again
  since, its expiry entry was moved to the new, later time, so it is not due;
  if it was enqueued again and is still active, it belongs in no terminal index.
  KEYS: the 10 queue keys (see includes/queue-keys.lua)
  ARGV[1] most jobs handled per call
  Returns: the number of expired jobs handled
]]
--- @include "queue-keys"
--- @include "clock"

local due = redis.call('ZRANGEBYSCORE', EXPIRING, '-inf', nowMs(), 'LIMIT', 0, tonumber(ARGV[1]))
zremMany(DONE.succeeded, due)
zremMany(DONE.failed, due)
zremMany(DONE.cancelled, due)
zremMany(EXPIRING, due)
return #due
