--[[
  A job's state, packed into one string (the STATE hash's value):
    "<st>|<att>|<seq>|<at>|<prio>|<max>|<substrates>|<created_at>"
  st          q queued, r running, s succeeded, f failed, c cancelled
  att         attempts started
  seq         enqueue number (ready-set order, list() order, lease tokens)
  at          unfinished: enqueued at (ms, Redis clock); finished: the result's
              expiry (ms) — a finished state past it is treated as absent
  prio, max   priority, max_attempts
  substrates  comma-separated names ('' for any; names are [a-z0-9_-])
  created_at  the job's ISO time, last, so it is the rest of the string
  One string instead of a hash of fields: ~60 bytes per job, read and written
  for a whole batch with one HMGET/HSET. src/store/redis/job-state.ts reads
  the same format.
]]
local STATUS = { q = 'queued', r = 'running', s = 'succeeded', f = 'failed', c = 'cancelled' }
local CODE = { queued = 'q', running = 'r', succeeded = 's', failed = 'f', cancelled = 'c' }

-- st, att, seq, at, prio, max (numbers as strings except att), or nil for no/unreadable state
local function parseState(v)
  if not v then return nil end
  local st, att, seq, at, prio, max = string.match(v, '^(%a)|(%d+)|(%d+)|(%d+)|(-?%d+)|(%d+)|')
  if not st then return nil end
  return st, tonumber(att), seq, at, prio, max
end

-- The state with a new status code, attempts and `at`; the rest kept.
local function restate(v, st, att, seq, at)
  local _, _, tail = string.find(v, '^%a|%d+|%d+|%d+(|.*)$')
  return st .. '|' .. att .. '|' .. seq .. '|' .. at .. tail
end

-- true when a finished state's result has expired (or was pruned): the job counts as unknown
local function isGone(st, at, now)
  return st ~= 'q' and st ~= 'r' and tonumber(at) <= now
end
