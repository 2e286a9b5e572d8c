/**
 * The Lua scripts that make each stream operation atomic, and the one way they
 * are run. Every script checks before it changes: a full or closed stream adds
 * nothing, an ack or release touches only entries the caller still owns.
 *
 * Keys: KEYS[1] is always the stream. Entries have one field, `d`, the payload.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";

/** A script and its SHA-1, so it is sent once and then called by hash. @internal */
export interface Script {
  readonly name: string;
  readonly lua: string;
  readonly sha: string;
  readonly keys: number;
}

function script(name: string, keys: number, lua: string): Script {
  return { name, keys, lua, sha: createHash("sha1").update(lua).digest("hex") };
}

/**
 * KEYS: stream, closed flag. ARGV: capacity, payload...
 * Returns -1 if the stream is closed, 0 if the payloads do not all fit (nothing
 * is added), else the new entries' ids. All or nothing.
 */
export const ADD = script(
  "add",
  2,
  `if redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
if redis.call('XLEN', KEYS[1]) + #ARGV - 1 > tonumber(ARGV[1]) then return 0 end
local ids = {}
for i = 2, #ARGV do ids[i - 1] = redis.call('XADD', KEYS[1], '*', 'd', ARGV[i]) end
return ids`,
);

/**
 * KEYS: stream, dead-letter stream. ARGV: group, consumer, min idle ms, cursor,
 * count, max deliveries.
 * XAUTOCLAIM, then entries delivered more than max times go to the dead-letter
 * stream (and leave the stream) instead of to the caller.
 * Returns { next cursor, { {id, payload, deliveries}... }, dead-lettered count }.
 */
export const CLAIM = script(
  "claim",
  2,
  `local r = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], 'COUNT', ARGV[5])
local out = {}
local dead = 0
local max = tonumber(ARGV[6])
for _, e in ipairs(r[2]) do
  if e and e[2] then
    local id = e[1]
    local n = redis.call('XPENDING', KEYS[1], ARGV[1], id, id, 1)[1][4]
    if n > max then
      redis.call('XADD', KEYS[2], '*', 'id', id, 'd', e[2][2], 'deliveries', n, 'reason', 'delivered more than ' .. ARGV[6] .. ' times')
      redis.call('XACK', KEYS[1], ARGV[1], id)
      redis.call('XDEL', KEYS[1], id)
      dead = dead + 1
    else
      out[#out + 1] = { id, e[2][2], n }
    end
  end
end
return { r[1], out, dead }`,
);

/**
 * KEYS: stream. ARGV: group, consumer, id...
 * Acknowledges (XACK) and deletes (XDEL) each entry the consumer still owns.
 * Per id: 1 acknowledged now, 0 no longer pending (already acknowledged),
 * -1 owned by another consumer (claimed after it sat idle; not touched).
 */
export const ACK = script(
  "ack",
  1,
  `local out = {}
for i = 3, #ARGV do
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)
  if #p == 0 then out[i - 2] = 0
  elseif p[1][2] ~= ARGV[2] then out[i - 2] = -1
  else
    redis.call('XACK', KEYS[1], ARGV[1], ARGV[i])
    redis.call('XDEL', KEYS[1], ARGV[i])
    out[i - 2] = 1
  end
end
return out`,
);

/**
 * KEYS: stream. ARGV: group, consumer, idle ms, id...
 * Sets the idle time of each entry the consumer still owns, without counting a
 * delivery (XCLAIM ... IDLE ms JUSTID): idle 0 keeps a long job from being
 * claimed (heartbeat); idle = claim idle makes it claimable at once (nack).
 * Per id: 1 done, 0 no longer pending, -1 owned by another consumer.
 */
export const TOUCH = script(
  "touch",
  1,
  `local out = {}
for i = 4, #ARGV do
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)
  if #p == 0 then out[i - 3] = 0
  elseif p[1][2] ~= ARGV[2] then out[i - 3] = -1
  else
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'IDLE', ARGV[3], 'JUSTID')
    out[i - 3] = 1
  end
end
return out`,
);

/**
 * KEYS: stream, dead-letter stream. ARGV: group, consumer, id, payload,
 * deliveries, reason. Moves one entry the consumer owns to the dead-letter
 * stream (an entry its codec cannot decode). Returns 1, or 0 if not owned.
 */
export const BURY = script(
  "bury",
  2,
  `local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1)
if #p == 0 or p[1][2] ~= ARGV[2] then return 0 end
redis.call('XADD', KEYS[2], '*', 'id', ARGV[3], 'd', ARGV[4], 'deliveries', ARGV[5], 'reason', ARGV[6])
redis.call('XACK', KEYS[1], ARGV[1], ARGV[3])
redis.call('XDEL', KEYS[1], ARGV[3])
return 1`,
);

/** KEYS: stream, closed flag. Returns 1 once the stream is closed and every entry is acknowledged. */
export const DRAINED = script(
  "drained",
  2,
  `if redis.call('EXISTS', KEYS[2]) == 1 and redis.call('XLEN', KEYS[1]) == 0 then return 1 end
return 0`,
);

/** Runs a script by hash, loading it on NOSCRIPT (a restarted Redis has forgotten it). @internal */
export async function runScript(redis: Redis, s: Script, args: readonly (string | number)[]): Promise<unknown> {
  try {
    return await redis.evalsha(s.sha, s.keys, ...args);
  } catch (error) {
    if (error instanceof Error && error.message.startsWith("NOSCRIPT")) return redis.eval(s.lua, s.keys, ...args);
    throw error;
  }
}
