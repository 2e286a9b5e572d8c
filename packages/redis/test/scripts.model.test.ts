/**
 * The ack/claim logic (the Lua scripts the sender and receiver run) against a
 * model, with fc.commands: adds bounded by capacity, reads, nacks (an entry
 * made claimable at once), consumers presumed dead (all their entries made
 * claimable, as claimIdleMs passing would), claims with dead-lettering past
 * maxDeliveries, and acks by owners and by others. After every command the
 * stream, the dead-letter stream and the pending list match the model.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { Redis } from "ioredis";
import { ACK, ADD, CLAIM, runScript, TOUCH } from "../src/scripts.js";
import { redisAvailable, startRedis, type RedisServer } from "./redis-server.js";

const CAPACITY = 6;
const MAX_DELIVERIES = 2;
const IDLE = 60_000; // "claimIdleMs": nothing ages this long during a run unless made to
const GROUP = "g";
const CONSUMERS = ["A", "B"] as const;
type Consumer = (typeof CONSUMERS)[number];

interface Entry {
  readonly id: string;
  readonly payload: string;
  owner: Consumer | null; // null: not yet read
  deliveries: number;
  claimable: boolean;
}

interface Model {
  live: Entry[]; // in id order
  all: string[]; // every id ever added, for acks of gone entries
  dead: number;
  next: number;
}

interface Real {
  redis: Redis;
  key: string;
  dead: string;
}

type Cmd = fc.AsyncCommand<Model, Real>;

/** What the runs exercised: the test fails if they never claimed or dead-lettered anything. */
const seen = { claimed: 0, dead: 0, refused: 0, foreignAcks: 0 };

async function check(m: Model, r: Real): Promise<void> {
  expect(await r.redis.xlen(r.key)).toBe(m.live.length);
  expect(await r.redis.xlen(r.dead)).toBe(m.dead);
  const pending = (await r.redis.xpending(r.key, GROUP, "-", "+", 100)) as [string, string, number, number][];
  const expected = m.live.filter((e) => e.owner !== null).map((e) => [e.id, e.owner, e.deliveries]);
  expect(pending.map((p) => [p[0], p[1], p[3]])).toEqual(expected);
}

class Add implements Cmd {
  constructor(readonly n: number) {}
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    const payloads = Array.from({ length: this.n }, () => String(m.next++));
    const reply = await runScript(r.redis, ADD, [r.key, `${r.key}:closed`, CAPACITY, ...payloads]);
    if (m.live.length + this.n > CAPACITY) {
      expect(reply).toBe(0);
      seen.refused++;
    } else {
      const ids = reply as string[];
      expect(ids).toHaveLength(this.n);
      ids.forEach((id, i) => {
        m.live.push({ id, payload: payloads[i] as string, owner: null, deliveries: 0, claimable: false });
        m.all.push(id);
      });
    }
    await check(m, r);
  }
  toString(): string {
    return `add(${this.n})`;
  }
}

class Read implements Cmd {
  constructor(readonly c: Consumer, readonly count: number) {}
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    const reply = (await r.redis.xreadgroup("GROUP", GROUP, this.c, "COUNT", this.count, "STREAMS", r.key, ">")) as
      | [string, [string, string[]][]][]
      | null;
    const got = reply === null ? [] : (reply[0]?.[1] ?? []).map(([id, f]) => [id, f[1]]);
    const unread = m.live.filter((e) => e.owner === null && e.deliveries === 0).slice(0, this.count);
    expect(got).toEqual(unread.map((e) => [e.id, e.payload]));
    for (const e of unread) {
      e.owner = this.c;
      e.deliveries = 1;
    }
    await check(m, r);
  }
  toString(): string {
    return `read(${this.c}, ${this.count})`;
  }
}

/** nack (one entry) or a consumer presumed dead (all its entries): claimable at once, no delivery counted. */
class Release implements Cmd {
  constructor(readonly c: Consumer, readonly pick: number | "all") {}
  check(m: Model): boolean {
    return m.all.length > 0;
  }
  async run(m: Model, r: Real): Promise<void> {
    const ids = this.pick === "all" ? m.live.map((e) => e.id) : [m.all[this.pick % m.all.length] as string];
    const reply = await runScript(r.redis, TOUCH, [r.key, GROUP, this.c, IDLE, ...ids]);
    expect(reply).toEqual(ids.map((id) => ownership(m, id, this.c)));
    for (const e of m.live) if (ids.includes(e.id) && e.owner === this.c) e.claimable = true;
    await check(m, r);
  }
  toString(): string {
    return `release(${this.c}, ${this.pick})`;
  }
}

class Claim implements Cmd {
  constructor(readonly c: Consumer) {}
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    const [, claimed, dead] = (await runScript(r.redis, CLAIM, [r.key, r.dead, GROUP, this.c, IDLE, "0-0", 100, MAX_DELIVERIES])) as [
      string,
      [string, string, number][],
      number,
    ];
    const expected: [string, string, number][] = [];
    let died = 0;
    for (const e of [...m.live]) {
      if (!e.claimable) continue;
      if (e.deliveries + 1 > MAX_DELIVERIES) {
        m.live.splice(m.live.indexOf(e), 1);
        died++;
      } else {
        e.owner = this.c;
        e.deliveries++;
        e.claimable = false;
        expected.push([e.id, e.payload, e.deliveries]);
      }
    }
    m.dead += died;
    seen.claimed += expected.length;
    seen.dead += died;
    expect(claimed).toEqual(expected);
    expect(dead).toBe(died);
    await check(m, r);
  }
  toString(): string {
    return `claim(${this.c})`;
  }
}

class Ack implements Cmd {
  constructor(readonly c: Consumer, readonly picks: number[]) {}
  check(m: Model): boolean {
    return m.all.length > 0;
  }
  async run(m: Model, r: Real): Promise<void> {
    const ids = [...new Set(this.picks.map((p) => m.all[p % m.all.length] as string))];
    const reply = await runScript(r.redis, ACK, [r.key, GROUP, this.c, ...ids]);
    expect(reply).toEqual(ids.map((id) => ownership(m, id, this.c)));
    seen.foreignAcks += (reply as number[]).filter((x) => x === -1).length;
    m.live = m.live.filter((e) => !(ids.includes(e.id) && e.owner === this.c));
    await check(m, r);
  }
  toString(): string {
    return `ack(${this.c}, [${this.picks.join(",")}])`;
  }
}

/** The scripts' per-id answer: 1 owned by c, -1 owned by another, 0 not pending (unread or gone). */
function ownership(m: Model, id: string, c: Consumer): number {
  const e = m.live.find((x) => x.id === id);
  if (e === undefined || e.owner === null) return 0;
  return e.owner === c ? 1 : -1;
}

describe.skipIf(!redisAvailable())("stream scripts against a model", () => {
  let server: RedisServer;
  let redis: Redis;
  let run = 0;
  beforeAll(async () => {
    server = await startRedis();
    redis = new Redis(server.url);
  });
  afterAll(async () => {
    redis.disconnect();
    await server.dispose();
  });

  it("adds, reads, releases, claims and acks match the model", async () => {
    const consumer = fc.constantFrom(...CONSUMERS);
    const commands = fc.commands(
      [
        fc.integer({ min: 1, max: 3 }).map((n) => new Add(n)),
        fc.tuple(consumer, fc.integer({ min: 1, max: 3 })).map(([c, n]) => new Read(c, n)),
        fc.tuple(consumer, fc.oneof(fc.nat(), fc.constant("all" as const))).map(([c, p]) => new Release(c, p)),
        consumer.map((c) => new Claim(c)),
        fc.tuple(consumer, fc.array(fc.nat(), { minLength: 1, maxLength: 3 })).map(([c, p]) => new Ack(c, p)),
      ],
      { maxCommands: 40, size: "max" },
    );
    await fc.assert(
      fc.asyncProperty(commands, async (cmds) => {
        const key = `model-${run++}`;
        await redis.xgroup("CREATE", key, GROUP, "0", "MKSTREAM");
        await fc.asyncModelRun(() => ({ model: { live: [], all: [], dead: 0, next: 0 }, real: { redis, key, dead: `${key}:dead` } }), cmds);
      }),
      { numRuns: 100, seed: 1414 },
    );
    expect(seen.claimed).toBeGreaterThan(0);
    expect(seen.dead).toBeGreaterThan(0);
    expect(seen.refused).toBeGreaterThan(0);
    expect(seen.foreignAcks).toBeGreaterThan(0);
  });
});
