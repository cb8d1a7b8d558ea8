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
  the same format. The spec is not in it (it has its own hash): every string
  a script creates is hashed byte by byte by Redis's Lua, so a script that
  rewrites a job's state should not have to copy its spec too.

  Numbers are kept as the strings they were read as wherever they are only
  copied: Lua turns a number into a string with sprintf("%.14g"), and a few
  of those per job were a visible part of the scripts' time.
]]
local STATUS = { q = 'queued', r = 'running', s = 'succeeded', f = 'failed', c = 'cancelled' }
local CODE = { queued = 'q', running = 'r', succeeded = 's', failed = 'f', cancelled = 'c' }

-- st, att, seq, at, prio, max (all strings), or nil for no/unreadable state
local function parseState(v)
  if not v then return nil end
  return string.match(v, '^(%a)|(%d+)|(%d+)|(%d+)|(-?%d+)|(%d+)|')
end

-- The state with a new status code, attempts and `at`; the rest kept.
-- (take and complete, the hot paths, do this inline with the parse.)
local function restate(v, st, att, seq, at)
  local _, e = string.find(v, '^%a|%d+|%d+|%d+')
  return st .. '|' .. att .. '|' .. seq .. '|' .. at .. string.sub(v, e + 1)
end

-- true when a finished state's result has expired (or was pruned): the job counts as unknown
local function isGone(st, at, now)
  return st ~= 'q' and st ~= 'r' and tonumber(at) <= now
end

-- Whole numbers as strings, each formatted once per script call (attempts,
-- record sizes: few distinct values in a batch).
local INT = {}
local function intStr(n)
  local s = INT[n]
  if not s then
    s = string.format('%d', n)
    INT[n] = s
  end
  return s
end

-- attempts + 1 for the usual small counts, as strings (no tonumber/format per job)
local NEXT_ATTEMPT = { ['0'] = '1', ['1'] = '2', ['2'] = '3', ['3'] = '4', ['4'] = '5', ['5'] = '6', ['6'] = '7', ['7'] = '8', ['8'] = '9' }

-- A priority's ready-set score: its negation, as a string (ZADD parses it).
local function negPrio(prio)
  if string.sub(prio, 1, 1) == '-' then return string.sub(prio, 2) end
  return '-' .. prio
end
