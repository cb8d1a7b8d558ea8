--[[
  sweepExpired: forgets finished jobs, oldest first, whose result has expired
  or that are beyond the retention bounds (more than ARGV[2] results, or more
  than ARGV[3] bytes of result records): removes their state, status index
  entry and attempt errors. Results that expired were dropped by Redis
  itself (their keys have a TTL); those pruned early are deleted here when
  ARGV[4] is their key prefix (standalone Redis), or returned for the caller
  to delete (Redis Cluster: the result keys are in other slots).
  An entry whose job id has been used again since (its state no longer
  carries that expiry) only leaves the list.
  KEYS: the 15 queue keys (see includes/queue-keys.lua)
  ARGV[1] most entries handled per call
  ARGV[2] most results kept
  ARGV[3] most result bytes kept
  ARGV[4] result key prefix, or '' to have pruned ids returned
  Returns: { entries handled, job ids pruned before expiry whose result keys the caller deletes }
]]
--- @include "queue-keys"
--- @include "job-state"
--- @include "clock"

local limit, maxCount, maxBytes, resultPrefix = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local now = nowMs()
local total = redis.call('LLEN', FINISHED)
if total == 0 then return { 0, {} } end
local bytes = tonumber(redis.call('GET', RESULT_BYTES) or '0')
local head = redis.call('LRANGE', FINISHED, 0, limit - 1)
local ids, expiries, early = {}, {}, {}
local freed = 0
for j, entry in ipairs(head) do
  local expiry, size, id = string.match(entry, '^(%d+)|(%d+)|(.*)$')
  local over = total - #ids > maxCount or bytes - freed > maxBytes
  if expiry and tonumber(expiry) > now and not over then break end
  ids[#ids + 1] = id or ''
  expiries[#expiries + 1] = expiry
  early[#early + 1] = expiry and tonumber(expiry) > now
  freed = freed + (tonumber(size) or 0)
end
if #ids == 0 then return { 0, {} } end
redis.call('LTRIM', FINISHED, #ids, -1)
redis.call('DECRBY', RESULT_BYTES, freed)
local vs = hmgetMany(STATE, ids)
local gone, byStatus, pruned = {}, { s = {}, f = {}, c = {} }, {}
for j, id in ipairs(ids) do
  local st, _, _, at = parseState(vs[j])
  if st and byStatus[st] and at == expiries[j] then
    push(gone, id)
    push(byStatus[st], id)
    if early[j] then push(pruned, id) end
  end
end
hdelMany(STATE, gone)
if redis.call('EXISTS', ERRS) == 1 then hdelMany(ERRS, gone) end
zremMany(DONE.succeeded, byStatus.s)
zremMany(DONE.failed, byStatus.f)
zremMany(DONE.cancelled, byStatus.c)
if resultPrefix ~= '' and #pruned > 0 then
  local keys = {}
  for j, id in ipairs(pruned) do keys[j] = resultPrefix .. id end
  for i = 1, #keys, 1000 do redis.call('UNLINK', unpack(keys, i, math.min(i + 999, #keys))) end
  return { #ids, {} }
end
return { #ids, pruned }
