/**
 * A consumer process of the Redis workload (src/workloads/redis.ts), forked
 * with an IPC channel: `gochan` runs @gochan/redis's receiver under the pool's
 * Dispatcher, `bullmq` a BullMQ Worker, both with `CONCURRENCY` jobs at a time
 * and a job that does nothing but complete. It reports its count of processed
 * jobs to the parent every 50 ms and once more when told to stop.
 *
 * Env: MODE (gochan | bullmq), REDIS_PORT, KEY, CONCURRENCY.
 *
 * @module
 */
import type * as Pool from "@gochan/pool";
import type * as RedisChan from "@gochan/redis";
import type * as BullMQ from "bullmq";
import { load } from "../child.ts";

const mode = process.env["MODE"];
const port = Number(process.env["REDIS_PORT"]);
const key = process.env["KEY"] as string;
const concurrency = Number(process.env["CONCURRENCY"] ?? "64");
let processed = 0;
let stop: () => Promise<void>;

if (mode === "gochan") {
  const { RedisReceiver, acking } = await load<typeof RedisChan>("@gochan/redis");
  const { Dispatcher } = await load<typeof Pool>("@gochan/pool");
  const receiver = new RedisReceiver<unknown>({ redis: { host: "127.0.0.1", port }, key, prefetch: 4 * concurrency });
  const dispatcher = new Dispatcher(receiver.messages, concurrency, acking(async () => {
    processed++;
  }));
  dispatcher.run();
  stop = async () => {
    await receiver.stop();
    await dispatcher.done;
  };
} else {
  const { Worker } = await load<typeof BullMQ>("bullmq");
  const worker = new Worker(
    key,
    async () => {
      processed++;
    },
    { connection: { host: "127.0.0.1", port }, concurrency, removeOnComplete: { count: 0 } },
  );
  stop = () => worker.close();
}

const report = setInterval(() => process.send?.({ processed }), 50);
process.on("message", (message: unknown) => {
  if (message !== "stop") return;
  clearInterval(report);
  void stop().then(() => process.send?.({ processed, stopped: true }, () => process.exit(0)));
});
process.send?.({ ready: true });
