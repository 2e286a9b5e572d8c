/**
 * Batch map: `count` trivial async jobs (`async (x) => x * 2`) over an array
 * of `count` numbers at a concurrency of {@link WORKERS}, the results
 * collected in input order. One contract for every peer: a pull-based map
 * that takes the next item only when a slot is free, so nothing builds a
 * queue of waiting jobs; what differs is the library around it.
 * - `pool.map(items, fn)` of @gochan/pool (a pool of WORKERS workers, the
 *   map's default concurrency);
 * - p-map: `pMap(items, fn, { concurrency })`;
 * - Effect: `Effect.forEach(items, (x) => Effect.promise(() => fn(x)), { concurrency })`;
 * - the floor: WORKERS hand-written async loops sharing the input's iterator,
 *   each storing `await fn(item)` at its index (no cancellation, no error
 *   handling beyond the first rejection, no metrics).
 *
 * "map-io" is the same contract with I/O-like jobs (each awaits one
 * `setImmediate` turn, as pool-io's and pool-group-io's jobs do): the pull
 * contract's answer to the group rows, whose producer holds a queue of jobs
 * made ahead of the workers.
 *
 * The streamed form is a workload of its own ("map-stream", another
 * contract: a promise per result, read in order): `pool.mapStream` read with
 * `for await`, and p-map's `pMapIterable` with the same bound on how far it
 * runs ahead of the reader.
 *
 * @module
 */
import type * as PMap from "p-map";
import { immediate, load, runIfMain, timed, triangle } from "../child.ts";
import type { Family, Peer } from "../spec.ts";

/** The concurrency of every peer. */
export const WORKERS = 8;

/** The surface of @gochan/pool this workload uses. */
interface PoolLike {
  map<T, R>(input: Iterable<T>, fn: (item: T) => R | Promise<R>): Promise<R[]>;
  mapStream<T, R>(input: Iterable<T>, fn: (item: T) => R | Promise<R>): AsyncIterable<R>;
  stopAndWait(): Promise<unknown>;
}
interface PoolModule {
  Pool: new (options: { maxWorkers: number; maxQueue: number }) => PoolLike;
}
interface EffectModule {
  Effect: {
    forEach<A, B>(items: Iterable<A>, f: (a: A) => unknown, options: { concurrency: number }): unknown;
    promise<B>(f: () => Promise<B>): unknown;
    runPromise<B>(effect: unknown): Promise<B>;
  };
}

/** A job: 2x. */
type Fn = (x: number) => Promise<number>;

const double: Fn = async (x) => x * 2;

/** An I/O-like job: 2x after one `setImmediate` turn. */
const doubleLater: Fn = async (x) => {
  await immediate();
  return x * 2;
};

function items(count: number): number[] {
  const a = new Array<number>(count);
  for (let i = 0; i < count; i++) a[i] = i;
  return a;
}

function sum(results: readonly number[]): number {
  let s = 0;
  for (const r of results) s += r;
  return s;
}

function gochanMap(stream: boolean, fn: Fn = double): Peer {
  return async (count) => {
    const { Pool } = await load<PoolModule>("@gochan/pool");
    const pool = new Pool({ maxWorkers: WORKERS, maxQueue: WORKERS });
    const input = items(count);
    const m = stream
      ? await timed(count, "ns/job", 2 * triangle(count), async () => {
          let s = 0;
          for await (const r of pool.mapStream(input, fn)) s += r;
          return s;
        })
      : await timed(count, "ns/job", 2 * triangle(count), async () => sum(await pool.map(input, fn)));
    await pool.stopAndWait();
    return m;
  };
}

function pMap(fn: Fn): Peer {
  return async (count) => {
    const { default: pMapOf } = await load<typeof PMap>("p-map");
    const input = items(count);
    return timed(count, "ns/job", 2 * triangle(count), async () => sum(await pMapOf(input, fn, { concurrency: WORKERS })));
  };
}

/** p-map's streaming form: results in input order, at most 2 * WORKERS ahead of the reader (as pool.mapStream's default lookahead). */
const pMapIterable: Peer = async (count) => {
  const { pMapIterable: iterate } = await load<typeof PMap>("p-map");
  const input = items(count);
  return timed(count, "ns/job", 2 * triangle(count), async () => {
    let s = 0;
    for await (const r of iterate(input, double, { concurrency: WORKERS, backpressure: 2 * WORKERS })) s += r;
    return s;
  });
};

function effectForEach(fn: Fn): Peer {
  return async (count) => {
    const { Effect } = await load<EffectModule>("effect");
    const input = items(count);
    return timed(count, "ns/job", 2 * triangle(count), async () =>
      sum(
        await Effect.runPromise<number[]>(
          Effect.forEach(input, (x: number) => Effect.promise(() => fn(x)), { concurrency: WORKERS }),
        ),
      ),
    );
  };
}

/** WORKERS async loops pulling from one iterator: the least a pull-based ordered map can do. */
function floorMap(fn: Fn): Peer {
  return async (count) => {
    const input = items(count);
    return timed(count, "ns/job", 2 * triangle(count), async () => {
      const it = input[Symbol.iterator]();
      const results: number[] = [];
      let next = 0;
      const worker = async (): Promise<void> => {
        for (;;) {
          const r = it.next();
          if (r.done === true) return;
          const i = next++;
          results[i] = await fn(r.value);
        }
      };
      const workers: Promise<void>[] = [];
      for (let w = 0; w < WORKERS; w++) workers.push(worker());
      await Promise.all(workers);
      return sum(results);
    });
  };
}

const MAP_NOTE =
  `Every peer takes the next item only when one of its ${WORKERS} slots is free. ` +
  `@gochan/pool: pool.map on a pool of ${WORKERS} workers; ` +
  `p-map: pMap(items, fn, { concurrency: ${WORKERS} }); ` +
  `Effect: Effect.forEach(items, (x) => Effect.promise(() => fn(x)), { concurrency: ${WORKERS} }); ` +
  `floor: ${WORKERS} async loops sharing the input's iterator.`;

/** The batch map workloads. */
export const maps: Family = {
  name: "map",
  workloads: [
    {
      id: "map",
      title: `Map: trivial async jobs over an array, ${WORKERS} at a time, results in order`,
      unit: "ns/job",
      count: { full: 200_000, quick: 2_000 },
      warmup: true,
      peers: {
        "gochan-pool-map": gochanMap(false),
        "p-map": pMap(double),
        "effect-forEach": effectForEach(double),
        floor: floorMap(double),
      },
      note: MAP_NOTE,
    },
    {
      id: "map-io",
      title: `Map: I/O-like jobs (each awaits setImmediate) over an array, ${WORKERS} at a time, results in order`,
      unit: "ns/job",
      count: { full: 50_000, quick: 1_000 },
      warmup: true,
      peers: {
        "gochan-pool-map": gochanMap(false, doubleLater),
        "p-map": pMap(doubleLater),
        "effect-forEach": effectForEach(doubleLater),
        floor: floorMap(doubleLater),
      },
      note:
        `${MAP_NOTE} Each job awaits one setImmediate turn before returning, as pool-io's and pool-group-io's jobs do: ` +
        "the pull contract's answer to pool-group-io, where the producer holds a queue of jobs made ahead of the workers.",
    },
    {
      id: "map-stream",
      title: `Map, streamed: the same jobs, each result read with for await in input order`,
      unit: "ns/job",
      count: { full: 200_000, quick: 2_000 },
      warmup: true,
      peers: {
        "gochan-pool-map-stream": gochanMap(true),
        "p-map-iterable": pMapIterable,
      },
      note:
        `@gochan/pool: pool.mapStream (lookahead ${2 * WORKERS}, its default); ` +
        `p-map: pMapIterable(items, fn, { concurrency: ${WORKERS}, backpressure: ${2 * WORKERS} }). No floor yet.`,
    },
  ],
};

runIfMain(import.meta.url, maps);
