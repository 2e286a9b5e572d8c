/**
 * Go's own programs, ported line for line: the prime sieve, a gen/sq/merge
 * pipeline, a daisy chain, a stateful goroutine answering on reply channels, and
 * the seed article's dispatcher. The same programs in Go are in
 * packages/bench/go/programs_test.go; the figures are per unit of work (a prime,
 * a value, a task, a request, a job), so each TS/Go ratio compares equal work.
 *
 * Peers: `gochan` runs the program inside `run(main)` with its defaults, as the
 * docs tell Go users to write `func main()`; `gochan-plain` runs it without
 * `run`. (`run(main, { callSites: "all" })`, a stack captured on every parked
 * operation, was run()'s default before it sampled: 5-30x the plain run on
 * these programs, too slow to keep in the bench.) The "TS / Go (CPU)" column
 * divides CPU time by Go's at GOMAXPROCS=1 (JavaScript runs on one thread).
 *
 * @module
 */
import { pathToFileURL } from "node:url";
import type * as Core from "@gochan/core";
import { load, runOne, timed } from "../child.ts";
import { CLOSE_RATIO_RUNS, RESULT_MARK, type Family, type Peer, type Unit } from "../spec.ts";

type CoreModule = typeof Core;

/** A program: runs with size `n` and returns its checksum. */
type Program = (core: CoreModule, n: number) => Promise<number>;

// ---- The prime sieve (the Go spec's and the Go tour's) ----------------------

/** Sends 2, 3, 4, ... to `ch` forever. */
async function generate(ch: Core.Chan<number>): Promise<void> {
  for (let i = 2; ; i++) await ch.send(i);
}

/** Copies what arrives on `input` to `output`, leaving out multiples of `prime`. */
async function filter(input: Core.Chan<number>, output: Core.Chan<number>, prime: number): Promise<void> {
  for (;;) {
    const i = (await input.recv()) as number;
    if (i % prime !== 0) await output.send(i);
  }
}

/** The first `n` primes through a chain of filters; the sum of the primes. */
const sieve: Program = async ({ Chan, go }, n) => {
  let ch = new Chan<number>();
  go(generate, ch);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const prime = (await ch.recv()) as number;
    sum += prime;
    const ch1 = new Chan<number>();
    go(filter, ch, ch1, prime);
    ch = ch1;
  }
  return sum;
};

/** The sum of the first `n` primes, by trial division. */
function primeSum(n: number): number {
  let sum = 0;
  for (let k = 0, c = 2; k < n; c++) {
    let prime = true;
    for (let d = 2; d * d <= c; d++) {
      if (c % d === 0) {
        prime = false;
        break;
      }
    }
    if (prime) {
      sum += c;
      k++;
    }
  }
  return sum;
}

// ---- Pipeline: gen, sq, merge (the Go blog's "Pipelines and cancellation") ----

function gen({ Chan, go }: CoreModule, n: number): Core.RecvChan<number> {
  const out = new Chan<number>();
  go(async () => {
    for (let i = 0; i < n; i++) await out.send(i);
    out.close();
  });
  return out;
}

function sq({ Chan, go }: CoreModule, input: Core.RecvChan<number>): Core.RecvChan<number> {
  const out = new Chan<number>();
  go(async () => {
    for await (const v of input) await out.send(v * v);
    out.close();
  });
  return out;
}

function merge({ Chan, go, WaitGroup }: CoreModule, ...cs: Core.RecvChan<number>[]): Core.RecvChan<number> {
  const wg = new WaitGroup();
  const out = new Chan<number>();
  const output = async (c: Core.RecvChan<number>): Promise<void> => {
    for await (const v of c) await out.send(v);
    wg.done();
  };
  wg.add(cs.length);
  for (const c of cs) go(output, c);
  go(async () => {
    await wg.wait();
    out.close();
  });
  return out;
}

/** Squares 0..n-1 with two sq stages fanned out and merged; the sum of the squares. */
const pipeline: Program = async (core, n) => {
  const input = gen(core, n);
  const c1 = sq(core, input);
  const c2 = sq(core, input);
  let sum = 0;
  for await (const v of merge(core, c1, c2)) sum += v;
  return sum;
};

// ---- Daisy chain (Rob Pike, "Go Concurrency Patterns") ----------------------

async function link(left: Core.Chan<number>, right: Core.Chan<number>): Promise<void> {
  await left.send(1 + ((await right.recv()) as number));
}

/** `n` tasks in a row, each adding one to what its right neighbour passes on. */
const daisyChain: Program = async ({ Chan, go }, n) => {
  const leftmost = new Chan<number>();
  let left = leftmost;
  let right = leftmost;
  for (let i = 0; i < n; i++) {
    right = new Chan<number>();
    go(link, left, right);
    left = right;
  }
  go(async (c: Core.Chan<number>) => c.send(1), right);
  return (await leftmost.recv()) as number;
};

// ---- A stateful goroutine with reply channels (Go by Example) ---------------

interface ReadOp {
  key: number;
  resp: Core.Chan<number>;
}
interface WriteOp {
  key: number;
  val: number;
  resp: Core.Chan<boolean>;
}

/** Clients of the stateful goroutine. */
export const CLIENTS = 10;

/**
 * One task owns the state; `CLIENTS` clients send `n` requests in all, each a
 * write of its own key then a read of it, every request with a fresh reply
 * channel. The sum of the values read.
 */
const stateful: Program = async ({ Chan, go, select, recv, WaitGroup }, n) => {
  const reads = new Chan<ReadOp>();
  const writes = new Chan<WriteOp>();
  go(async () => {
    const state = new Map<number, number>();
    for (;;) {
      const r = await select([recv(reads), recv(writes)]);
      if (r.index === 0) {
        const read = r.value as ReadOp;
        await read.resp.send(state.get(read.key) ?? 0);
      } else {
        const write = r.value as WriteOp;
        state.set(write.key, write.val);
        await write.resp.send(true);
      }
    }
  });
  const wg = new WaitGroup();
  let sum = 0;
  const rounds = Math.floor(n / (2 * CLIENTS));
  for (let c = 0; c < CLIENTS; c++) {
    wg.add(1);
    go(async () => {
      for (let i = 0; i < rounds; i++) {
        const write: WriteOp = { key: c, val: i, resp: new Chan<boolean>() };
        await writes.send(write);
        await write.resp.recv();
        const read: ReadOp = { key: c, resp: new Chan<number>() };
        await reads.send(read);
        sum += (await read.resp.recv()) as number;
      }
      wg.done();
    });
  }
  await wg.wait();
  return sum;
};

function statefulSum(n: number): number {
  const rounds = Math.floor(n / (2 * CLIENTS));
  return CLIENTS * ((rounds * (rounds - 1)) / 2);
}

// ---- The seed article's dispatcher (chan chan Job) --------------------------

/** Workers and queue length of the dispatcher, as in the Go version. */
export const SEED_WORKERS = 8;
export const SEED_QUEUE = 1024;

interface Job {
  n: number;
}

/**
 * The seed's Worker / Dispatcher as published: a worker registers its job
 * channel in the pool and waits for a job or quit; dispatch starts one task per
 * job that waits for an idle worker. `n` jobs, each adding 2i to a sum.
 */
const dispatcher: Program = async ({ Chan, go, select, recv, WaitGroup }, n) => {
  let sum = 0;
  const done = new WaitGroup();
  const workerPool = new Chan<Core.Chan<Job>>(SEED_WORKERS);
  const jobQueue = new Chan<Job>(SEED_QUEUE);
  const quit = new Chan<void>();
  const workerQuits: Core.Chan<boolean>[] = [];
  for (let w = 0; w < SEED_WORKERS; w++) {
    const jobChannel = new Chan<Job>();
    const workerQuit = new Chan<boolean>();
    workerQuits.push(workerQuit);
    go(async () => {
      for (;;) {
        await workerPool.send(jobChannel);
        const r = await select([recv(jobChannel), recv(workerQuit)]);
        if (r.index === 1) return;
        sum += 2 * (r.value as Job).n;
        done.done();
      }
    });
  }
  go(async () => {
    for (;;) {
      const r = await select([recv(jobQueue), recv(quit)]);
      if (r.index === 1) return;
      const job = r.value as Job;
      go(async () => {
        const jobChannel = (await workerPool.recv()) as Core.Chan<Job>;
        await jobChannel.send(job);
      });
    }
  });
  done.add(n);
  for (let i = 0; i < n; i++) await jobQueue.send({ n: i });
  await done.wait();
  quit.close();
  for (const q of workerQuits) go(async () => q.send(true));
  return sum;
};

// ---- Peers ------------------------------------------------------------------

function peer(program: Program, unit: Unit, expected: (n: number) => number): Peer {
  return async (count) => {
    const core = await load<CoreModule>("@gochan/core");
    return timed(count, unit, expected(count), () => program(core, count));
  };
}

interface ProgramSpec {
  id: string;
  title: string;
  unit: Unit;
  count: { full: number; quick: number };
  program: Program;
  expected: (n: number) => number;
  bench: string;
  note: string;
}

const SPECS: ProgramSpec[] = [
  {
    id: "prog-sieve",
    title: "Go program: the prime sieve (first 1,000 primes)",
    unit: "ns/prime",
    count: { full: 1000, quick: 30 },
    program: sieve,
    expected: primeSum,
    bench: "Sieve",
    note: "A chain of filter tasks over unbuffered channels: 1,000 primes are about 2.8 million hand-offs.",
  },
  {
    id: "prog-pipeline",
    title: "Go program: pipeline gen -> 2 x sq -> merge (200,000 values)",
    unit: "ns/value",
    count: { full: 200_000, quick: 2_000 },
    program: pipeline,
    expected: (n) => ((n - 1) * n * (2 * n - 1)) / 6,
    bench: "Pipeline",
    note: "Unbuffered channels, a WaitGroup closing the merged channel, ranging with for await.",
  },
  {
    id: "prog-daisy",
    title: "Go program: daisy chain of 100,000 tasks",
    unit: "ns/task",
    count: { full: 100_000, quick: 1_000 },
    program: daisyChain,
    expected: (n) => n + 1,
    bench: "DaisyChain",
    note: "One go() and one unbuffered channel per task; each task blocks once, then passes the value on.",
  },
  {
    id: "prog-stateful",
    title: "Go program: stateful goroutine with reply channels (200,000 requests)",
    unit: "ns/request",
    count: { full: 200_000, quick: 2_000 },
    program: stateful,
    expected: statefulSum,
    bench: "Stateful",
    note: `${CLIENTS} clients; every request a fresh reply channel; the owner selects over reads and writes.`,
  },
  {
    id: "prog-dispatcher",
    title: "Go program: the seed's dispatcher (50,000 jobs)",
    unit: "ns/job",
    count: { full: 50_000, quick: 1_000 },
    program: dispatcher,
    expected: (n) => n * (n - 1),
    bench: "Dispatcher",
    note: `${SEED_WORKERS} workers, a job queue of ${SEED_QUEUE}, one task per job waiting for an idle worker, as published.`,
  },
];

/** The run() options of the peers that run under run(). */
export const RUN_PEERS: Record<string, Core.RunOptions> = {
  gochan: {},
};

/** The Go programs. */
export const programs: Family = {
  name: "programs",
  onePeerPerProcess: true,
  workloads: SPECS.map((s) => ({
    id: s.id,
    title: s.title,
    unit: s.unit,
    count: s.count,
    warmup: true,
    runs: CLOSE_RATIO_RUNS,
    peers: {
      gochan: peer(s.program, s.unit, s.expected),
      "gochan-plain": peer(s.program, s.unit, s.expected),
    },
    go: [{ bench: s.bench, peer: "go" }],
    note: `${s.note} @gochan/core runs the program inside run(main) with its defaults; "without run()" calls it directly.`,
  })),
};

/**
 * Like runIfMain, but a peer of {@link RUN_PEERS} runs inside `run(main)`: the
 * whole measurement (warm-up and timed runs) is `main`, and run() ends the
 * process once it has printed the result.
 */
function main(): void {
  const script = process.argv[1];
  if (script === undefined || pathToFileURL(script).href !== import.meta.url) return;
  const [workloadId = "", peerId = "", countArg = "", warmUpArg = "0"] = process.argv.slice(2);
  const measure = async (): Promise<void> => {
    const result = await runOne(programs, workloadId, peerId, Number(countArg), { ms: Number(warmUpArg) });
    await new Promise<void>((resolve) => process.stdout.write(`${RESULT_MARK}${JSON.stringify(result)}\n`, () => resolve()));
  };
  const options = RUN_PEERS[peerId];
  if (options === undefined) {
    void measure().then(() => process.exit(0));
    return;
  }
  void load<CoreModule>("@gochan/core").then((core) => core.run(measure, options));
}

main();
