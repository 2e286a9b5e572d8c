/**
 * A durable job queue across processes, on one local redis-server: `count`
 * payloads (about 200 bytes each) sent in batches of 100 by 16 concurrent
 * producers in this process, consumed by 2 worker processes running 64 jobs
 * at a time; a job does nothing but complete. The figure is the wall time per
 * payload from the first send to the last completion (end to end), in ns/job;
 * payloads per minute are in the extras.
 *
 * - gochan-redis: @gochan/redis (RedisSender.sendMany; RedisReceiver +
 *   Dispatcher + acking: XREADGROUP, then XACK + XDEL per batch of acks);
 * - bullmq: BullMQ (Queue.addBulk; Worker, removeOnComplete), the queue Node
 *   users reach for;
 * - floor: redis-benchmark's XADD of the same payload (50 clients, pipeline
 *   16): what Redis itself can add per second here, with no consumer at all.
 *
 * Each run starts its own redis-server (no persistence: the queues' own cost,
 * not the disk's) on a free port; without redis-server the peers are "not
 * available".
 *
 * @module
 */
import { fork, spawnSync, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type * as RedisChan from "@gochan/redis";
import type * as RedisTesting from "@gochan/redis/testing";
import type * as BullMQ from "bullmq";
import { load, runIfMain, Unavailable } from "../child.ts";
import type { Family, Measurement, Peer } from "../spec.ts";

const CONSUMER = fileURLToPath(new URL("./redis-consumer.ts", import.meta.url));
const BENCH_PACKAGE = fileURLToPath(new URL("../..", import.meta.url));
const WORKERS = 2;
const PRODUCERS = 16;
const BATCH = 100;
const BODY = "x".repeat(180);

/** A throwaway redis-server from @gochan/redis/testing; "not available" without the binary. */
async function startRedis(): Promise<RedisTesting.RedisServer> {
  const testing = await load<typeof RedisTesting>("@gochan/redis/testing");
  try {
    return await testing.startRedisServer();
  } catch (e) {
    if (e instanceof testing.RedisServerUnavailableError) throw new Unavailable("redis-server", e);
    throw e;
  }
}

interface Consumer {
  readonly child: ChildProcess;
  processed: number;
}

async function startConsumers(mode: "gochan" | "bullmq", port: number, key: string): Promise<Consumer[]> {
  return Promise.all(
    Array.from({ length: WORKERS }, () => {
      const child = fork(CONSUMER, [], {
        execArgv: ["--import", "tsx"],
        cwd: BENCH_PACKAGE, // where tsx and the packages resolve, whatever the caller's cwd
        env: { ...process.env, MODE: mode, REDIS_PORT: String(port), KEY: key, CONCURRENCY: "64" },
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      });
      const consumer: Consumer = { child, processed: 0 };
      return new Promise<Consumer>((resolve, reject) => {
        child.on("message", (m: { ready?: boolean; processed?: number }) => {
          if (m.ready === true) resolve(consumer);
          if (m.processed !== undefined) consumer.processed = m.processed;
        });
        child.once("exit", (code) => reject(new Error(`consumer exited (${code}) before it was ready`)));
      });
    }),
  );
}

async function stopConsumers(consumers: readonly Consumer[]): Promise<number> {
  await Promise.all(
    consumers.map(
      (c) =>
        new Promise<void>((resolve) => {
          c.child.on("message", (m: { stopped?: boolean; processed?: number }) => {
            if (m.stopped === true) c.processed = m.processed ?? c.processed;
          });
          c.child.once("exit", () => resolve());
          c.child.send("stop");
        }),
    ),
  );
  return consumers.reduce((sum, c) => sum + c.processed, 0);
}

/** Sends count payloads in batches over PRODUCERS concurrent producers. */
async function produce(count: number, sendBatch: (payloads: { id: number; body: string }[]) => Promise<unknown>): Promise<void> {
  let next = 0;
  const producer = async (): Promise<void> => {
    for (let start = next; start < count; start = next) {
      next += BATCH;
      const n = Math.min(BATCH, count - start);
      await sendBatch(Array.from({ length: n }, (_, i) => ({ id: start + i, body: BODY })));
    }
  };
  await Promise.all(Array.from({ length: PRODUCERS }, producer));
}

async function untilProcessed(consumers: readonly Consumer[], count: number): Promise<void> {
  while (consumers.reduce((sum, c) => sum + c.processed, 0) < count) await new Promise((r) => setTimeout(r, 5));
}

function measurement(count: number, ns: number, check: number): Measurement {
  return { value: ns / count, unit: "ns/job", ops: count, check, expected: count, extra: { perMinute: Math.round((count / ns) * 60e9) } };
}

function queuePeer(mode: "gochan" | "bullmq"): Peer {
  return async (count) => {
    const redis = await startRedis();
    try {
      const key = "bench";
      const consumers = await startConsumers(mode, redis.port, key);
      let sendBatch: (payloads: { id: number; body: string }[]) => Promise<unknown>;
      let close: () => Promise<void>;
      if (mode === "gochan") {
        const { RedisSender } = await load<typeof RedisChan>("@gochan/redis");
        const sender = new RedisSender<{ id: number; body: string }>({ redis: { host: "127.0.0.1", port: redis.port }, key, capacity: 100_000 });
        sendBatch = (payloads) => sender.sendMany(payloads);
        close = () => sender.disconnect();
      } else {
        const { Queue } = await load<typeof BullMQ>("bullmq");
        const queue = new Queue(key, { connection: { host: "127.0.0.1", port: redis.port } });
        sendBatch = (payloads) => queue.addBulk(payloads.map((data) => ({ name: "payload", data, opts: { removeOnComplete: true } })));
        close = () => queue.close();
      }
      const t0 = process.hrtime.bigint();
      await produce(count, sendBatch);
      await untilProcessed(consumers, count);
      const ns = Number(process.hrtime.bigint() - t0);
      await close();
      return measurement(count, ns, await stopConsumers(consumers));
    } finally {
      await redis.dispose();
    }
  };
}

const floor: Peer = async (count) => {
  const redis = await startRedis();
  try {
    const r = spawnSync(
      "redis-benchmark",
      ["-p", String(redis.port), "-q", "-n", String(count), "-c", "50", "-P", "16", "XADD", "floor", "*", "d", JSON.stringify({ id: 1, body: BODY })],
      { encoding: "utf8", timeout: 600_000 },
    );
    const rps = Number(/([\d.]+) requests per second/.exec(r.stdout)?.[1]);
    if (!(rps > 0)) throw new Error(`redis-benchmark printed no rate: ${r.stdout} ${r.stderr}`);
    return measurement(count, (count / rps) * 1e9, count);
  } finally {
    await redis.dispose();
  }
};

export const redisQueues: Family = {
  name: "redis",
  workloads: [
    {
      id: "redis-queue",
      title: "Durable queue on Redis, 2 worker processes, end to end",
      unit: "ns/job",
      count: { full: 50_000, quick: 500 },
      warmup: false,
      peers: { "gochan-redis": queuePeer("gochan"), bullmq: queuePeer("bullmq"), floor },
      note: "Payloads of ~200 B sent in batches of 100 by 16 producers; 2 consumer processes, 64 jobs at a time each; a job only completes. The floor is redis-benchmark XADD (50 clients, pipeline 16): adding alone, nothing consumed. One redis-server per run, no persistence.",
    },
  ],
};

runIfMain(import.meta.url, redisQueues);
