/** Delivery: retries with backoff, the breaker told of every attempt, dead letters, the deadline. */
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CircuitBreaker } from "../src/circuit-breaker.js";
import { DeadLetterFile, readDeadLetters } from "../src/dead-letter.js";
import { Delivery } from "../src/delivery.js";
import type { Sink, SinkStats } from "../src/sink.js";
import { tempDir } from "./helpers.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A sink that fails its first `failures` puts, then stores; or hangs every put when `hang`. */
class ScriptedSink implements Sink {
  readonly description = "scripted";
  readonly stored: unknown[] = [];
  puts = 0;
  constructor(
    private failures: number,
    private readonly hang = false,
  ) {}
  put(payload: unknown): Promise<void> {
    this.puts += 1;
    if (this.hang) return new Promise<void>(() => undefined);
    if (this.failures > 0) {
      this.failures -= 1;
      return Promise.reject(new Error(`injected failure ${this.puts}`));
    }
    this.stored.push(payload);
    return Promise.resolve();
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
  stats(): SinkStats {
    return { payloads: this.stored.length, objects: this.stored.length, bytes: 0, failedPayloads: 0 };
  }
}

async function setup(sink: Sink, attempts = 4, deadLetterDir?: string): Promise<{ delivery: Delivery; breaker: CircuitBreaker; letters: DeadLetterFile }> {
  const tmp = await tempDir();
  cleanups.push(tmp.remove);
  const letters = new DeadLetterFile(join(deadLetterDir ?? tmp.dir, "dead.ndjson"));
  cleanups.push(() => letters.close());
  const breaker = new CircuitBreaker({ failures: 2, cooldownMs: 60_000 });
  const delivery = new Delivery({ sink, deadLetters: letters, breaker, retry: { attempts, baseMs: 1, maxMs: 4 } });
  return { delivery, breaker, letters };
}

async function lettersIn(path: string): Promise<{ reason: string; payload: unknown }[]> {
  const out: { reason: string; payload: unknown }[] = [];
  for await (const l of readDeadLetters(path)) out.push(l);
  return out;
}

describe("Delivery", () => {
  it("retries a failing put until it succeeds, telling the breaker of each outcome", async () => {
    const sink = new ScriptedSink(2);
    const { delivery, breaker } = await setup(sink);
    await delivery.deliver({ id: 1 });
    expect(sink.stored).toEqual([{ id: 1 }]);
    expect(sink.puts).toBe(3);
    expect(delivery.stats()).toEqual({ stored: 1, failedAttempts: 2, retries: 2, deadLettered: 0, lost: 0 });
    // Two failures opened it (threshold 2); the success closed it again.
    expect(breaker.openedCount).toBe(1);
    expect(breaker.state()).toBe("closed");
  });

  it("dead-letters a payload after its last attempt, with the last error as the reason", async () => {
    const sink = new ScriptedSink(100);
    const { delivery, letters } = await setup(sink, 3);
    await delivery.deliver({ id: 7 });
    expect(sink.puts).toBe(3);
    expect(delivery.stats()).toMatchObject({ stored: 0, failedAttempts: 3, deadLettered: 1, lost: 0 });
    await letters.flush();
    expect(await lettersIn(letters.path)).toEqual([
      expect.objectContaining({ reason: "3 attempts failed; last error: injected failure 3", payload: { id: 7 } }),
    ]);
  });

  it("counts a payload as lost, and rejects, only when the dead-letter file fails too", async () => {
    const sink = new ScriptedSink(100);
    const tmp = await tempDir();
    cleanups.push(tmp.remove);
    const { writeFile } = await import("node:fs/promises");
    await writeFile(join(tmp.dir, "blocker"), "");
    const { delivery } = await setup(sink, 2, join(tmp.dir, "blocker"));
    await expect(delivery.deliver({ id: 1 })).rejects.toThrow();
    expect(delivery.stats()).toMatchObject({ deadLettered: 0, lost: 1 });
  });

  it("at the deadline, abandons a hanging put and dead-letters its payload; later deliveries go straight there", async () => {
    const sink = new ScriptedSink(0, true);
    const { delivery, letters } = await setup(sink);
    const pending = delivery.deliver({ id: 1 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(sink.puts).toBe(1);
    delivery.expire();
    await pending;
    await delivery.deliver({ id: 2 });
    expect(sink.puts).toBe(1); // the second never reached the sink
    await delivery.settled();
    expect(delivery.stats()).toMatchObject({ deadLettered: 2, lost: 0 });
    expect((await lettersIn(letters.path)).map((l) => [l.reason, l.payload])).toEqual([
      ["drain deadline", { id: 1 }],
      ["drain deadline", { id: 2 }],
    ]);
  });

  it("at the deadline, cuts a backoff short", async () => {
    const sink = new ScriptedSink(100);
    const tmp = await tempDir();
    cleanups.push(tmp.remove);
    const letters = new DeadLetterFile(join(tmp.dir, "dead.ndjson"));
    cleanups.push(() => letters.close());
    const breaker = new CircuitBreaker({ failures: 1, cooldownMs: 1 });
    // An hour-long backoff: only the deadline can end it.
    const delivery = new Delivery({ sink, deadLetters: letters, breaker, retry: { attempts: 5, baseMs: 3_600_000, maxMs: 3_600_000 }, random: () => 0.5 });
    const pending = delivery.deliver({ id: 3 });
    while (delivery.stats().failedAttempts < 1) await new Promise((resolve) => setImmediate(resolve));
    delivery.expire();
    await pending;
    await delivery.settled();
    expect(sink.puts).toBe(1);
    expect(delivery.stats()).toMatchObject({ deadLettered: 1, failedAttempts: 1 });
    await letters.flush();
    expect((await lettersIn(letters.path))[0]?.reason).toBe("drain deadline; last error: injected failure 1");
  });
});
