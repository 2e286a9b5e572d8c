import { describe, expect, it } from "vitest";
import { Engine } from "../src/engine.js";
import { GroupCore } from "../src/group.js";
import type { Job } from "../src/job.js";
import { resolvePoolOptions } from "../src/options.js";
import { deferred, observe, turn } from "./helpers.js";

describe("Engine: a group submission waiting for queue space", () => {
  // In a batch whose producer outruns its workers (I/O-like jobs) nearly every
  // group.submit waits for queue space: the waiting must not cost a job its
  // extras record (which every later step of the job then pays for).
  it("keeps no extras record, and is admitted or refused through the job's own resolve", async () => {
    const engine = new Engine(resolvePoolOptions({ maxWorkers: 1, maxQueue: 1 }));
    const group = new GroupCore(engine, false);
    const gate = deferred<void>();
    await group.submit(() => gate.promise, undefined); // running
    await group.submit(() => 1, undefined); // queued
    const line = (engine as unknown as { line: { peek(): Job | undefined } }).line;
    const first = observe(group.submit(() => 2, undefined));
    const job = line.peek() as Job;
    const second = observe(group.submit(() => 3, undefined));
    expect(engine.blocked).toBe(2);
    expect(job.x).toBeNull();
    engine.cancel(job, "gone");
    gate.resolve();
    await turn();
    expect(first.current).toEqual({ state: "rejected", reason: "gone" });
    expect(second.current.state).toBe("fulfilled");
    expect(engine.metrics()).toMatchObject({ succeeded: 3, cancelled: 1, blockedSubmitters: 0, queued: 0 });
  });
});
