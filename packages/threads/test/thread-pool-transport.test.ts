// The ThreadPool's transport (per-thread job and result rings, protocol.ts):
// what happens to the jobs a thread holds in its ring when it crashes, is
// retired or has jobs withdrawn. Every job writes its id to a ledger file
// first, so "ran once" and "never ran" are counted, not assumed.
import { ThreadCrashedError, ThreadPool, ValueTooLargeError } from "@gochan/threads";
import fc from "fast-check";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt } from "./helpers.ts";

type Action = "ok" | "exit" | "throw" | "spin" | "big";
interface Jobs {
  job(ledger: string, id: number, action: Action, arg: number | string): number | string;
}

const module = new URL("./fixtures/ledger-jobs.mjs", import.meta.url);
const dir = mkdtempSync(join(tmpdir(), "gochan-transport-"));
let ledgers = 0;
let pool: ThreadPool<Jobs> | null = null;

function newLedger(): string {
  const path = join(dir, `ledger-${ledgers++}`);
  writeFileSync(path, "");
  return path;
}

/** How many times each job id ran. */
function runs(ledger: string): Map<number, number> {
  const counts = new Map<number, number>();
  for (const line of readFileSync(ledger, "utf8").split("\n")) {
    if (line === "") continue;
    counts.set(Number(line), (counts.get(Number(line)) ?? 0) + 1);
  }
  return counts;
}

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
}

beforeAll(() => ensureBuilt());
afterEach(async () => {
  await pool?.stop();
  pool = null;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("ThreadPool transport", () => {
  it("a crash with several jobs in its ring: the job it ran rejects with ThreadCrashedError, the ones before it keep their results, the ones after run once on its replacement", async () => {
    const ledger = newLedger();
    const p = (pool = new ThreadPool<Jobs>({ module, maxThreads: 1, depth: 8 }));
    const plan: Action[] = ["ok", "ok", "exit", "ok", "throw", "ok", "ok", "ok"];
    // All eight are handed to the one thread's ring at once.
    const results = await Promise.allSettled(plan.map((a, id) => p.submit("job", [ledger, id, a, 3])));
    expect(results.map((r) => (r.status === "fulfilled" ? r.value : r.reason instanceof ThreadCrashedError ? "crashed" : String(r.reason)))).toEqual([
      0,
      1,
      "crashed",
      3,
      "Error: job 4",
      5,
      6,
      7,
    ]);
    expect([...runs(ledger)].sort((a, b) => a[0] - b[0])).toEqual(plan.map((_, id) => [id, 1]));
    expect(p.metrics()).toMatchObject({ crashed: 1, succeeded: 6, failed: 2, running: 0, queued: 0 });
  });

  it("resize shrinking while rings hold jobs: each held job runs once where it is, and the extra threads exit", async () => {
    const ledger = newLedger();
    const p = (pool = new ThreadPool<Jobs>({ module, maxThreads: 2, depth: 16 }));
    const all = Array.from({ length: 32 }, (_, id) => p.submit("job", [ledger, id, "spin", 2]));
    expect(p.metrics()).toMatchObject({ threads: 2, running: 32 });
    p.resize(1);
    expect(await Promise.all(all)).toEqual(Array.from({ length: 32 }, (_, id) => id));
    expect([...runs(ledger).values()]).toEqual(Array.from({ length: 32 }, () => 1));
    await until(() => p.metrics().threads === 1);
    expect(await p.submit("job", [ledger, 99, "ok", 0])).toBe(99);
    expect(p.metrics()).toMatchObject({ threads: 1, crashed: 0 });
  });

  it("jobs withdrawn from a ring before they start never run, and cost their thread nothing", async () => {
    const ledger = newLedger();
    const p = (pool = new ThreadPool<Jobs>({ module, maxThreads: 1, depth: 8 }));
    const first = p.submit("job", [ledger, 0, "spin", 100]);
    const controllers = Array.from({ length: 6 }, () => new AbortController());
    const rest = controllers.map((ac, i) => p.submit("job", [ledger, i + 1, "ok", 0], { signal: ac.signal }));
    expect(p.metrics().running).toBe(7); // all in the ring
    for (const i of [0, 2, 3]) controllers[i]!.abort(`withdrawn ${i + 1}`);
    const settled = await Promise.allSettled([first, ...rest]);
    expect(settled.map((r) => (r.status === "fulfilled" ? r.value : r.reason))).toEqual([0, "withdrawn 1", 2, "withdrawn 3", "withdrawn 4", 5, 6]);
    expect([...runs(ledger).keys()].sort()).toEqual([0, 2, 5, 6]);
    expect(p.metrics()).toMatchObject({ crashed: 0, threads: 1, running: 0 });
  });

  it("arguments larger than half a job ring reject at submit and reach no thread; a result larger than half a result ring fails its job, not its thread", async () => {
    const ledger = newLedger();
    const p = (pool = new ThreadPool<Jobs>({ module, maxThreads: 1, bytes: 1000 })); // rounded up to 1024
    const e = await p.submit("job", [ledger, 0, "ok", "y".repeat(600)]).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ValueTooLargeError);
    expect(e).toMatchObject({ limit: 512 - 12 });
    expect(runs(ledger).size).toBe(0);
    // The result ring has 4 KiB: a 3000-character result does not fit in half of it.
    const big = await p.submit("job", [ledger, 1, "big", 3000]).catch((x: unknown) => x);
    expect(big).toMatchObject({ name: "ValueTooLargeError" });
    expect(await p.submit("job", [ledger, 2, "big", 1000])).toBe("x".repeat(1000));
    expect(p.metrics()).toMatchObject({ crashed: 0, threads: 1 });
  });

  it("property: with crashes, throws, withdrawals (whose listeners submit again) and a resize, every job settles, none runs twice, a result means it ran once", async () => {
    const kinds = fc.constantFrom<Action | "abort">("ok", "ok", "ok", "throw", "exit", "abort");
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          threads: fc.integer({ min: 1, max: 2 }),
          depth: fc.integer({ min: 1, max: 4 }),
          plan: fc.array(kinds, { minLength: 1, maxLength: 10 }),
          resizeAt: fc.nat(10),
          resizeTo: fc.integer({ min: 1, max: 2 }),
        }),
        async ({ threads, depth, plan, resizeAt, resizeTo }) => {
          const ledger = newLedger();
          const p = new ThreadPool<Jobs>({ module, maxThreads: threads, depth });
          const jobs: { id: number; kind: Action | "abort" | "resubmitted"; done: Promise<PromiseSettledResult<number | string>> }[] = [];
          let nextId = 0;
          const submit = (kind: Action | "abort" | "resubmitted"): void => {
            const id = nextId++;
            const ac = new AbortController();
            if (kind === "abort") {
              // User code re-entering the pool from an abort listener that runs before the pool's.
              ac.signal.addEventListener("abort", () => submit("resubmitted"));
            }
            const action: Action = kind === "abort" || kind === "resubmitted" ? "ok" : kind;
            const done = p.submit("job", [ledger, id, action, 1], { signal: ac.signal });
            jobs.push({ id, kind, done: done.then((value) => ({ status: "fulfilled", value }), (reason: unknown) => ({ status: "rejected", reason })) });
            if (kind === "abort") ac.abort(`abort ${id}`);
          };
          plan.forEach((kind, i) => {
            if (i === resizeAt) p.resize(resizeTo);
            submit(kind);
          });
          const settled = await Promise.all(jobs.map((j) => j.done));
          await p.stop();
          const ran = runs(ledger);
          let bystanders = 0;
          jobs.forEach((j, i) => {
            const r = settled[i]!;
            const times = ran.get(j.id) ?? 0;
            expect(times).toBeLessThanOrEqual(1); // never twice
            if (r.status === "fulfilled") {
              expect(r.value).toBe(j.id);
              expect(times).toBe(1);
              expect(["ok", "resubmitted"]).toContain(j.kind);
              return;
            }
            if (j.kind === "abort") expect(r.reason).toBe(`abort ${j.id}`);
            else if (j.kind === "exit") expect(r.reason).toBeInstanceOf(ThreadCrashedError);
            else if (j.kind === "throw" && !(r.reason instanceof ThreadCrashedError)) {
              expect(String(r.reason)).toBe(`Error: job ${j.id}`);
              expect(times).toBe(1);
            } else {
              // Only a job running on a thread terminated to stop a withdrawn job that had started.
              expect(r.reason).toBeInstanceOf(ThreadCrashedError);
              bystanders++;
            }
          });
          expect(bystanders).toBeLessThanOrEqual(jobs.filter((j) => j.kind === "abort").length);
          expect(p.metrics()).toMatchObject({ queued: 0, running: 0, threads: 0 });
        },
      ),
      { seed: 1313, numRuns: 12 },
    );
  });
});
