/**
 * A worker process of the Redis mode: the seed's Dispatcher on a Redis
 * receiver, uploading each payload to the id-named sink and acknowledging its
 * entry only after the upload is durable. Run as a program
 * (`node --import tsx src/redis-worker.ts`), it reads `REDIS_URL`, `REDIS_KEY`
 * (as the server), `MAX_WORKERS` (concurrent uploads, default 64),
 * `SINK_DIR`, and `CLAIM_IDLE_MS` (default 30000: how long a dead worker's
 * payloads wait before another worker takes them). It prints one JSON line
 * `{"event":"ready",...}` on stdout, and on SIGTERM stops taking payloads,
 * finishes those it holds and exits 0.
 *
 * @module
 */
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Dispatcher } from "@gochan/pool";
import { acking, RedisReceiver } from "@gochan/redis";
import { IdSink } from "./id-sink.js";
import { redisQueueConfig } from "./redis-queue.js";

/**
 * A running worker.
 *
 * @example
 * ```ts
 * const worker = startRedisWorker({ QUEUE: "redis", SINK_DIR: "/tmp/bucket" });
 * await worker.stop();
 * ```
 */
export interface RedisWorker {
  readonly receiver: RedisReceiver<unknown>;
  readonly sink: IdSink;
  /** Stops taking payloads, finishes those held, closes the sink. */
  stop(): Promise<void>;
  /** Resolves once the worker has stopped (after stop, or once the stream is closed and drained). */
  readonly done: Promise<void>;
}

/**
 * Starts a worker from environment-style settings.
 *
 * @throws RangeError naming a bad variable.
 */
export function startRedisWorker(env: Readonly<Record<string, string | undefined>>, onError: (error: unknown) => void = () => undefined): RedisWorker {
  const config = redisQueueConfig({ ...env, QUEUE: "redis" });
  if (config === undefined) throw new Error("unreachable: QUEUE is redis");
  const maxWorkers = Number(env["MAX_WORKERS"] ?? "64");
  const claimIdleMs = Number(env["CLAIM_IDLE_MS"] ?? "30000");
  if (!Number.isInteger(claimIdleMs) || claimIdleMs < 1) throw new RangeError(`CLAIM_IDLE_MS=${JSON.stringify(env["CLAIM_IDLE_MS"])}: must be a positive integer`);
  const sink = new IdSink({ dir: resolve(env["SINK_DIR"] ?? join(tmpdir(), "gochan-demo-bucket")) });
  const receiver = new RedisReceiver<unknown>({
    redis: config.url,
    key: config.key,
    claimIdleMs,
    claimIntervalMs: Math.min(1_000, claimIdleMs),
    prefetch: Math.max(64, maxWorkers),
    onError,
  });
  // Dispatcher validates MAX_WORKERS (a RangeError naming the value).
  const dispatcher = new Dispatcher(receiver.messages, maxWorkers, acking((payload: unknown) => sink.put(payload)), { onError });
  dispatcher.run();
  const done = dispatcher.done.then(async () => {
    await receiver.done;
    await sink.close();
  });
  return {
    receiver,
    sink,
    done,
    stop: async (): Promise<void> => {
      await receiver.stop();
      await done;
    },
  };
}

async function main(): Promise<void> {
  const log = (line: string): void => {
    process.stderr.write(`[worker ${process.pid}] ${line}\n`);
  };
  let errors = 0;
  const worker = startRedisWorker(process.env, (error) => {
    errors += 1;
    if (errors <= 10 || errors % 1000 === 0) log(`error (${errors} so far): ${error instanceof Error ? error.message : String(error)}`);
  });
  process.stdout.write(`${JSON.stringify({ event: "ready", pid: process.pid, consumer: worker.receiver.consumer })}\n`);
  const stop = (signal: string): void => {
    log(`${signal}: finishing the payloads held`);
    void worker.stop();
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  await worker.done;
  log(`stopped: ${worker.sink.stats().payloads} payloads uploaded`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`[worker] fatal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
