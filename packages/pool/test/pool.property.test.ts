/**
 * Property tests of Pool: random sequences of submit / trySubmit / go /
 * group.submit / resize / abort / release / time / stop / stopAndWait against
 * a small reference model (fc.commands), and promise interleavings explored
 * with fc.scheduler().
 *
 * Invariants checked after every command and at every job start/end:
 * - every metric is a non-negative integer and the counters never decrease;
 * - queued <= maxQueue; running <= the current limit at every job start;
 * - no job function runs twice; no promise settles twice; a job cancelled
 *   before it started never runs;
 * - trySubmit throws QueueFullError exactly when queued + blocked >= maxQueue;
 * - a job submitted (submit, trySubmit, go) when a worker is free for it
 *   (idle, or one may start) and nothing waits has started by the time the
 *   call returns, its start event first; any other job has not;
 * - submitted counts exactly the calls the pool accepted.
 * And once stopped (after releasing every slow job): every promise settled,
 * succeeded + failed + cancelled + dropped === submitted, one end event per
 * job, nothing running/queued/blocked, and no timer left.
 */
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  JobTimeoutError,
  Pool,
  PoolStoppedError,
  QueueFullError,
  type Group,
  type PoolEvent,
  type PoolMetrics,
} from "@gochan/pool";
import { deferred, settle, type Deferred } from "./helpers.js";

type Behavior = "ok" | "fail" | "slow" | "slowFail" | "slowHonour";
type Via = "submit" | "trySubmit" | "go" | "group";

interface JobRec {
  readonly index: number;
  readonly poolId: number;
  readonly behavior: Behavior;
  readonly via: Via;
  readonly ctl: AbortController | null;
  readonly timeout: number | undefined;
  readonly release: Deferred<void>;
  runs: number;
  settlements: number;
  outcome: { ok: true; value: unknown } | { ok: false; error: unknown } | null;
  abortedBeforeStart: boolean;
  starts: number;
  ends: number;
}

interface Real {
  pool: Pool;
  group: Group<number>;
  failFast: boolean;
  jobs: JobRec[];
  byPoolId: Map<number, JobRec>;
  nextPoolId: number;
  /** The most jobs allowed to be running now: maxWorkers, or more right after a shrink. */
  allowed: number;
  violations: string[];
  prev: PoolMetrics;
  stops: Promise<void>[];
  groupAdmissions: Promise<void>[];
}

interface Model {
  maxWorkers: number;
  maxQueue: number;
  stopped: boolean;
  accepted: number;
}

const COUNTERS = ["submitted", "succeeded", "failed", "cancelled", "dropped", "completed"] as const;

function checkMetrics(real: Real, where: string): void {
  const m = real.pool.metrics();
  for (const [k, v] of Object.entries(m)) {
    if (!Number.isInteger(v) || v < 0) real.violations.push(`${where}: ${k} = ${v}`);
  }
  for (const k of COUNTERS) if (m[k] < real.prev[k]) real.violations.push(`${where}: ${k} went down`);
  if (m.queued > m.maxQueue) real.violations.push(`${where}: queued ${m.queued} > maxQueue ${m.maxQueue}`);
  if (m.running > real.allowed) real.violations.push(`${where}: running ${m.running} > allowed ${real.allowed}`);
  real.prev = m;
}

function makeJob(real: Real, rec: JobRec): (signal: AbortSignal) => Promise<number> {
  return async (signal) => {
    rec.runs++;
    if (rec.runs > 1) real.violations.push(`job ${rec.index} ran twice`);
    if (rec.abortedBeforeStart) real.violations.push(`job ${rec.index} ran after being cancelled while waiting`);
    if (real.pool.metrics().running > real.allowed) real.violations.push(`job ${rec.index} started over the limit`);
    if (rec.poolId >= 0 && rec.starts !== 1) real.violations.push(`job ${rec.index} called before its start event`);
    switch (rec.behavior) {
      case "ok":
        return rec.index;
      case "fail":
        throw new Error(`job ${rec.index} failed`);
      case "slow":
        await rec.release.promise;
        return rec.index;
      case "slowFail":
        await rec.release.promise;
        throw new Error(`job ${rec.index} failed`);
      case "slowHonour":
        await new Promise<void>((resolve, reject) => {
          void rec.release.promise.then(resolve);
          if (signal.aborted) reject(signal.reason);
          signal.addEventListener("abort", () => reject(signal.reason), { once: true });
        });
        return rec.index;
    }
  };
}

function track(rec: JobRec, p: Promise<unknown>): void {
  p.then(
    (value) => {
      rec.settlements++;
      rec.outcome = { ok: true, value };
    },
    (error: unknown) => {
      rec.settlements++;
      rec.outcome = { ok: false, error };
    },
  );
}

class SubmitCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly via: Via,
    readonly behavior: Behavior,
    readonly withSignal: boolean,
    readonly timeout: number | undefined,
    /** Abort right after submitting: hits a job on its way to a worker. */
    readonly abortAtOnce: boolean,
  ) {}
  check(): boolean {
    return true;
  }
  async run(model: Model, real: Real): Promise<void> {
    const index = real.jobs.length;
    const before = real.pool.metrics();
    // Refused at the door (not counted, no id): a stopped pool, or a failed fail-fast group.
    const refused = model.stopped || (this.via === "group" && real.failFast && real.group.signal.aborted);
    const rec: JobRec = {
      index,
      poolId: refused ? -1 : real.nextPoolId++,
      behavior: this.behavior,
      via: this.via,
      ctl: this.withSignal ? new AbortController() : null,
      timeout: this.timeout,
      release: deferred(),
      runs: 0,
      settlements: 0,
      outcome: null,
      abortedBeforeStart: false,
      starts: 0,
      ends: 0,
    };
    real.jobs.push(rec);
    if (rec.poolId >= 0) real.byPoolId.set(rec.poolId, rec);
    const options = { ...(rec.ctl ? { signal: rec.ctl.signal } : {}), ...(this.timeout === undefined ? {} : { timeout: this.timeout }) };
    const job = makeJob(real, rec);
    switch (this.via) {
      case "submit":
        track(rec, real.pool.submit(job, options));
        if (!model.stopped) model.accepted++;
        break;
      case "trySubmit": {
        let threw: unknown = null;
        try {
          track(rec, real.pool.trySubmit(job, options));
        } catch (e) {
          threw = e;
        }
        const full = before.queued + before.blockedSubmitters >= before.maxQueue;
        if (model.stopped) {
          if (!(threw instanceof PoolStoppedError)) real.violations.push("trySubmit on a stopped pool did not throw PoolStoppedError");
        } else {
          model.accepted++;
          if (full !== threw instanceof QueueFullError) {
            real.violations.push(`trySubmit: full=${full} but threw ${String(threw)}`);
          }
          if (threw !== null && !(threw instanceof QueueFullError)) real.violations.push(`trySubmit threw ${String(threw)}`);
        }
        if (threw !== null) rec.outcome = { ok: false, error: threw };
        break;
      }
      case "go":
        try {
          real.pool.go(job, options);
          if (model.stopped) real.violations.push("go on a stopped pool did not throw");
          model.accepted++;
        } catch (e) {
          if (!model.stopped || !(e instanceof PoolStoppedError)) real.violations.push(`go threw ${String(e)}`);
        }
        break;
      case "group": {
        const admitted = real.group.submit(job, options);
        admitted.catch(() => undefined);
        real.groupAdmissions.push(admitted);
        if (!refused) model.accepted++;
        break;
      }
    }
    // Started inside the call exactly when a worker was free for it and nothing waited ahead of it.
    const free =
      !model.stopped &&
      before.queued === 0 &&
      before.blockedSubmitters === 0 &&
      (before.idle > 0 || before.running + before.idle < before.maxWorkers);
    const startsNow = free && this.via !== "group";
    if (rec.runs !== (startsNow ? 1 : 0)) {
      real.violations.push(`${this.toString()}: ${rec.runs === 0 ? "not started" : "started"} inside the call, metrics before ${JSON.stringify(before)}`);
    }
    if (this.abortAtOnce && rec.ctl !== null) {
      if (rec.runs === 0 && rec.outcome === null) rec.abortedBeforeStart = true;
      rec.ctl.abort(new Error(`abort ${rec.index} at once`));
    }
    if (real.pool.metrics().submitted !== model.accepted) {
      real.violations.push(`submitted ${real.pool.metrics().submitted} !== accepted calls ${model.accepted}`);
    }
    checkMetrics(real, `after ${this.toString()}`);
  }
  toString(): string {
    return `${this.via}(${this.behavior}${this.withSignal ? (this.abortAtOnce ? ", aborted at once" : ", signal") : ""}${this.timeout === undefined ? "" : `, timeout ${this.timeout}`})`;
  }
}

class ResizeCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly n: number) {}
  check(): boolean {
    return true;
  }
  async run(model: Model, real: Real): Promise<void> {
    real.pool.resize(this.n);
    model.maxWorkers = this.n;
    real.allowed = Math.max(this.n, real.pool.metrics().running);
    checkMetrics(real, this.toString());
  }
  toString(): string {
    return `resize(${this.n})`;
  }
}

class AbortCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  check(): boolean {
    return true;
  }
  async run(_model: Model, real: Real): Promise<void> {
    const withSignal = real.jobs.filter((j) => j.ctl !== null && !j.ctl.signal.aborted);
    const rec = withSignal[this.pick % Math.max(1, withSignal.length)];
    if (rec === undefined) return;
    if (rec.runs === 0 && rec.outcome === null) rec.abortedBeforeStart = true;
    rec.ctl?.abort(new Error(`abort ${rec.index}`));
    checkMetrics(real, this.toString());
  }
  toString(): string {
    return `abort(#${this.pick})`;
  }
}

class ReleaseCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  check(): boolean {
    return true;
  }
  async run(_model: Model, real: Real): Promise<void> {
    const slow = real.jobs.filter((j) => j.behavior.startsWith("slow"));
    const rec = slow[this.pick % Math.max(1, slow.length)];
    rec?.release.resolve();
    await settle(1);
    checkMetrics(real, this.toString());
  }
  toString(): string {
    return `release(#${this.pick})`;
  }
}

class TimeCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly ms: number) {}
  check(): boolean {
    return true;
  }
  async run(_model: Model, real: Real): Promise<void> {
    vi.advanceTimersByTime(this.ms);
    await settle(1);
    checkMetrics(real, this.toString());
  }
  toString(): string {
    return `time(+${this.ms} ms)`;
  }
}

class StopCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly drain: boolean) {}
  check(): boolean {
    return true;
  }
  async run(model: Model, real: Real): Promise<void> {
    real.stops.push(this.drain ? real.pool.stopAndWait() : real.pool.stop());
    model.stopped = true;
    if (!real.pool.stopped) real.violations.push("not stopped after stop");
    checkMetrics(real, this.toString());
  }
  toString(): string {
    return this.drain ? "stopAndWait()" : "stop()";
  }
}

const behavior = fc.constantFrom<Behavior>("ok", "fail", "slow", "slow", "slowFail", "slowHonour");
const submit = fc
  .tuple(
    fc.constantFrom<Via>("submit", "submit", "trySubmit", "go", "group"),
    behavior,
    fc.boolean(),
    fc.option(fc.constantFrom(0, 5, 50), { nil: undefined, freq: 3 }),
    fc.boolean(),
  )
  .map(([via, b, s, t, a]) => new SubmitCommand(via, b, s, t, s && a));
const release = fc.nat(20).map((n) => new ReleaseCommand(n));
// Weighted by repetition: mostly submissions and releases; a stop ends the
// interesting part of a run, so it is rare.
const commandArbs = [
  submit,
  submit,
  submit,
  submit,
  release,
  release,
  fc.integer({ min: 1, max: 4 }).map((n) => new ResizeCommand(n)),
  fc.nat(20).map((n) => new AbortCommand(n)),
  fc.constantFrom(1, 10, 100).map((ms) => new TimeCommand(ms)),
  // A stop or stopAndWait in about one command of 50; otherwise a tick of time.
  fc.integer({ min: 0, max: 9 }).map((k) => (k < 2 ? new StopCommand(k === 0) : new TimeCommand(1))),
];

afterEach(() => {
  vi.useRealTimers();
});

describe("Pool: model-based random command sequences", () => {
  it("keeps every invariant, settles every promise exactly once, and stops clean", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.boolean(),
        fc.option(fc.constantFrom(0, 20), { nil: undefined }),
        fc.commands(commandArbs, { maxCommands: 60, size: "large" }),
        async (maxWorkers, maxQueue, failFast, idleTimeout, cmds) => {
          vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
          const goErrors: unknown[] = [];
          let real!: Real;
          const onEvent = (e: PoolEvent): void => {
            const rec = real.byPoolId.get(e.job.id);
            if (rec === undefined) {
              real.violations.push(`event for unknown job ${e.job.id}`);
              return;
            }
            if (e.type === "start") {
              rec.starts++;
              if (real.pool.metrics().running > real.allowed) real.violations.push(`start over the limit`);
            } else {
              rec.ends++;
              if (rec.ends > 1) real.violations.push(`two end events for job ${rec.index}`);
              if (e.started !== rec.starts > 0) real.violations.push(`end.started wrong for job ${rec.index}`);
              real.allowed = Math.max(real.pool.maxWorkers, real.pool.metrics().running);
            }
          };
          const pool = new Pool({ maxWorkers, maxQueue, idleTimeout, onEvent, onError: (e) => goErrors.push(e) });
          real = {
            pool,
            group: pool.group<number>({ failFast }),
            failFast,
            jobs: [],
            byPoolId: new Map(),
            nextPoolId: 1,
            allowed: maxWorkers,
            violations: [],
            prev: pool.metrics(),
            stops: [],
            groupAdmissions: [],
          };
          try {
            await fc.asyncModelRun(() => ({ model: { maxWorkers, maxQueue, stopped: false, accepted: 0 }, real }), cmds);
            // Clean-up: release every slow job, stop, and let everything settle.
            for (const j of real.jobs) j.release.resolve();
            const stopped = pool.stop();
            for (let i = 0; i < 20; i++) {
              vi.advanceTimersByTime(100);
              await settle(1);
            }
            await stopped;
            await Promise.all(real.stops);
            await real.group.wait().catch(() => undefined);
            // Every group.submit settled too (admitted, or refused).
            for (const p of real.groupAdmissions) {
              let state = "pending";
              p.then(() => (state = "settled"), () => (state = "settled"));
              await Promise.resolve();
              await Promise.resolve();
              expect(state).toBe("settled");
            }
            await settle(2);
            const m = pool.metrics();
            expect(real.violations).toEqual([]);
            expect([m.running, m.idle, m.queued, m.blockedSubmitters]).toEqual([0, 0, 0, 0]);
            expect(m.succeeded + m.failed + m.cancelled + m.dropped).toBe(m.submitted);
            expect(m.completed).toBe(m.succeeded + m.failed);
            expect(vi.getTimerCount()).toBe(0);
            for (const j of real.jobs) {
              expect(j.runs).toBeLessThanOrEqual(1);
              if (j.via === "submit" || (j.via === "trySubmit" && j.outcome?.ok !== false)) {
                expect(j.settlements).toBeLessThanOrEqual(1);
              }
              if (j.via === "submit") expect(j.settlements).toBe(1);
              if (j.poolId >= 0) expect(j.ends).toBe(1);
              if (j.outcome?.ok === true) {
                expect(j.outcome.value).toBe(j.index);
                expect(j.runs).toBe(1);
              }
              if (j.outcome?.ok === false) {
                const e = j.outcome.error;
                if (e instanceof JobTimeoutError) expect(j.timeout).toBeDefined();
                if (e instanceof PoolStoppedError || e instanceof QueueFullError) expect(j.runs).toBe(0);
              }
            }
            expect(goErrors.every((e) => e instanceof Error)).toBe(true);
          } finally {
            for (const j of real.jobs) j.release.resolve();
            vi.useRealTimers();
          }
        },
      ),
      { numRuns: 600, seed: 20251126 },
    );
  });
});

describe("Pool: interleavings (fc.scheduler)", () => {
  it("jobs start in submission order and never above maxWorkers, whatever order they finish in", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 12 }),
        async (s, maxWorkers, maxQueue, n) => {
          const pool = new Pool({ maxWorkers, maxQueue });
          const started: number[] = [];
          let running = 0;
          let most = 0;
          const results = [];
          for (let i = 0; i < n; i++) {
            results.push(
              pool.submit(async () => {
                started.push(i);
                running++;
                most = Math.max(most, running);
                await s.schedule(Promise.resolve(i), `job ${i} finishes`);
                running--;
                return i;
              }),
            );
          }
          const all = Promise.all(results);
          await s.waitFor(all);
          expect(await all).toEqual(started);
          expect(started).toEqual(Array.from({ length: n }, (_, i) => i));
          expect(most).toBeLessThanOrEqual(maxWorkers);
          await pool.stop();
        },
      ),
      { numRuns: 200, seed: 42 },
    );
  });

  it("submissions at random points, and from jobs' synchronous parts: started inside the call exactly when a worker is free, never nested", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.record({ child: fc.boolean(), fail: fc.boolean() }), { minLength: 1, maxLength: 10 }),
        async (s, maxWorkers, maxQueue, specs) => {
          const pool = new Pool({ maxWorkers, maxQueue });
          const violations: string[] = [];
          /** Depth of job functions' synchronous parts running now. */
          let inSync = 0;
          let running = 0;
          const all: Promise<unknown>[] = [];
          const job = (name: string, child: boolean, fail: boolean) => async (): Promise<string> => {
            if (inSync > 0) violations.push(`${name} started inside another job's synchronous part`);
            running++;
            if (running > maxWorkers) violations.push(`${name}: ${running} running`);
            inSync++;
            if (child) all.push(submitAndCheck(`${name}'s child`, false, false, true));
            inSync--;
            await s.schedule(Promise.resolve(), `${name} body`);
            running--;
            if (fail) throw new Error(`${name} failed`);
            return name;
          };
          /** Submits a job, checking that it started inside the call exactly when it should have. */
          const submitAndCheck = (name: string, child: boolean, fail: boolean, nested: boolean): Promise<unknown> => {
            const m = pool.metrics();
            const free = m.queued === 0 && m.blockedSubmitters === 0 && (m.idle > 0 || m.running + m.idle < m.maxWorkers);
            let started = false;
            const fn = job(name, child, fail);
            const p = pool.submit(() => {
              started = true;
              return fn();
            });
            if (started !== (free && !nested)) {
              violations.push(`${name}: started inside submit ${started}, free ${free}, nested ${nested}`);
            }
            return p.then(
              () => undefined,
              () => undefined,
            );
          };
          specs.forEach((spec, i) => {
            all.push(
              s.schedule(Promise.resolve(), `submit ${i}`).then(() => submitAndCheck(`job ${i}`, spec.child, spec.fail, false)),
            );
          });
          // Children are pushed while the scheduled submissions run: wait until the list stops growing.
          let seen = -1;
          while (seen !== all.length) {
            seen = all.length;
            await s.waitFor(Promise.all(all));
          }
          await pool.stop();
          expect(violations).toEqual([]);
          const m = pool.metrics();
          expect([m.running, m.queued, m.blockedSubmitters]).toEqual([0, 0, 0]);
          expect(m.succeeded + m.failed).toBe(m.submitted);
          expect(m.submitted).toBe(specs.length + specs.filter((x) => x.child).length);
        },
      ),
      { numRuns: 200, seed: 1515 },
    );
  });

  it("aborts racing starts and completions: every promise settles once; a job cancelled before starting never runs", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 10 }),
        fc.boolean(),
        async (s, maxWorkers, abortable, stopEarly) => {
          const pool = new Pool({ maxWorkers, maxQueue: 2 });
          const ran = abortable.map(() => 0);
          const settled = abortable.map(() => 0);
          const cancelledBeforeStart = abortable.map(() => false);
          const all: Promise<unknown>[] = [];
          abortable.forEach((canAbort, i) => {
            const ctl = new AbortController();
            const p = pool.submit(
              async () => {
                ran[i] = (ran[i] ?? 0) + 1;
                await s.schedule(Promise.resolve(), `job ${i} body`);
                return i;
              },
              canAbort ? { signal: ctl.signal } : {},
            );
            const tracked = p.then(
              () => void (settled[i] = (settled[i] ?? 0) + 1),
              () => void (settled[i] = (settled[i] ?? 0) + 1),
            );
            all.push(tracked);
            if (canAbort) {
              void s.schedule(Promise.resolve(), `abort ${i}`).then(() => {
                if (ran[i] === 0) cancelledBeforeStart[i] = true;
                ctl.abort();
              });
            }
          });
          const stopped = stopEarly ? s.schedule(Promise.resolve(), "stop").then(() => pool.stop()) : Promise.resolve();
          await s.waitFor(Promise.all([...all, stopped]));
          // Cancelled jobs may still be running (their bodies are scheduled tasks): release them too.
          await s.waitFor(pool.stop());
          expect(settled).toEqual(abortable.map(() => 1));
          for (let i = 0; i < abortable.length; i++) {
            expect(ran[i]).toBeLessThanOrEqual(1);
            if (cancelledBeforeStart[i]) expect(ran[i]).toBe(0);
          }
          const m = pool.metrics();
          expect(m.succeeded + m.failed + m.cancelled + m.dropped).toBe(m.submitted);
          expect(m.submitted).toBe(abortable.length);
        },
      ),
      { numRuns: 200, seed: 7 },
    );
  });
});
