/**
 * The seed's program with its JobQueue on Redis: the same handler, the same
 * Dispatcher and Worker from @gochan/pool, the same graceful shutdown. What
 * changes: JobQueue's two ends are a RedisSender (the HTTP handler's side)
 * and a RedisReceiver's messages (the dispatcher's side), and the handler is
 * wrapped in `acking` so an upload is acknowledged only once it succeeded.
 * Unlike the in-memory queue, the upload that failed is retried, not lost.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Dispatcher, Pool } from "@gochan/pool";
import { acking, RedisReceiver, RedisSender, type Delivery } from "@gochan/redis";
import { redisAvailable, startRedis, type RedisServer } from "./redis-server.js";

const MaxLength = 1024;

interface Payload {
  readonly name: string;
}
interface PayloadCollection {
  readonly payloads: Payload[];
}
interface Job {
  readonly payload: Payload;
}

function fakeS3(): { uploaded: string[]; failNext: boolean; upload(p: Payload): Promise<void> } {
  const s3 = {
    uploaded: [] as string[],
    failNext: false,
    async upload(p: Payload): Promise<void> {
      await Promise.resolve();
      if (s3.failNext) {
        s3.failNext = false;
        throw new Error(`S3 refused ${p.name}`);
      }
      s3.uploaded.push(p.name);
    },
  };
  return s3;
}

function decode(body: string): PayloadCollection | null {
  try {
    const content = JSON.parse(body.slice(0, MaxLength)) as PayloadCollection;
    return Array.isArray(content.payloads) ? content : null;
  } catch {
    return null;
  }
}

describe.skipIf(!redisAvailable())("the seed's program with JobQueue on Redis", () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await server.dispose();
  });

  it("on Worker / Dispatcher, line for line; the failed upload is retried", async () => {
    const s3 = fakeS3();
    const errors: string[] = [];
    // Where JobQueue lives: Redis. The handler's end and the dispatcher's end.
    const redis = server.url;
    const JobQueue = new RedisSender<Job>({ redis, key: "seed-jobs", capacity: 10 });
    const receiver = new RedisReceiver<Job>({ redis, key: "seed-jobs", claimIntervalMs: 20, blockMs: 50 });
    const dispatcher = new Dispatcher(receiver.messages, 4, acking((job: Job) => s3.upload(job.payload)), {
      onError: (err) => errors.push(`Error uploading to S3: ${(err as Error).message}`),
    });
    dispatcher.run();

    async function payloadHandler(method: string, body: string): Promise<number> {
      if (method !== "POST") return 405;
      const content = decode(body);
      if (content === null) return 400;
      for (const payload of content.payloads) {
        const work: Job = { payload };
        await JobQueue.send(work); // JobQueue <- work (waits while the queue is full)
      }
      return 200;
    }

    expect(await payloadHandler("GET", "")).toBe(405);
    expect(await payloadHandler("POST", "{not json")).toBe(400);
    const payloads = Array.from({ length: 25 }, (_, i) => ({ name: `p${i}` }));
    s3.failNext = true;
    expect(await payloadHandler("POST", JSON.stringify({ payloads: payloads.slice(0, 12) }))).toBe(200);
    expect(await payloadHandler("POST", JSON.stringify({ payloads: payloads.slice(12) }))).toBe(200);
    // Graceful shutdown: close the queue, let every queued upload finish.
    await JobQueue.close();
    await dispatcher.done;
    expect(errors).toEqual(["Error uploading to S3: S3 refused p0"]);
    expect(s3.uploaded.sort()).toEqual(payloads.map((p) => p.name).sort());
    expect(await JobQueue.length()).toBe(0);
    await JobQueue.disconnect();
    await receiver.done;
  });

  it("on Pool: a for-await loop submits each delivery and acks after the job", async () => {
    const s3 = fakeS3();
    const redis = server.url;
    const queue = new RedisSender<Payload>({ redis, key: "pool-jobs" });
    const receiver = new RedisReceiver<Payload>({ redis, key: "pool-jobs", prefetch: 8, blockMs: 50 });
    const pool = new Pool({ maxWorkers: 3, maxQueue: 8 });
    const consume = (async (): Promise<void> => {
      for await (const d of receiver.messages) {
        const delivery: Delivery<Payload> = d;
        await pool.submit(async () => s3.upload(delivery.value)).then(() => delivery.ack());
      }
    })();
    for (let i = 0; i < 20; i++) await queue.send({ name: `q${i}` });
    await queue.close();
    await consume;
    await pool.stopAndWait();
    expect(s3.uploaded.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `q${i}`).sort());
    await queue.disconnect();
  });
});
