/**
 * The seed's program ("Handling 1 Million Requests per Minute with Go"),
 * written almost line for line on Worker / Dispatcher: the JSON payload
 * handler (405 for non-POST, 400 for bad JSON, a body size limit), one Job
 * per payload pushed on JobQueue, workers uploading each payload to "S3"
 * (an in-memory stand-in). Then the same handler on Pool.
 */
import { describe, expect, it } from "vitest";
import { Chan } from "@gochan/core";
import { Dispatcher, Pool, QueueFullError } from "@gochan/pool";
import { deferred } from "./helpers.js";

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

/** The stand-in for S3: what was uploaded, and a switch to make it fail. */
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

/** json.NewDecoder(io.LimitReader(r.Body, MaxLength)).Decode(&content) */
function decode(body: string): PayloadCollection | null {
  try {
    const content = JSON.parse(body.slice(0, MaxLength)) as PayloadCollection;
    return Array.isArray(content.payloads) ? content : null;
  } catch {
    return null;
  }
}

describe("the seed's program", () => {
  it("on Worker / Dispatcher, line for line", async () => {
    const s3 = fakeS3();
    const errors: string[] = [];
    // var JobQueue chan Job (now a value, not a global); MAX_WORKERS / MAX_QUEUE validated.
    const JobQueue = new Chan<Job>(10);
    const dispatcher = new Dispatcher(JobQueue, 4, (job: Job) => s3.upload(job.payload), {
      onError: (err) => errors.push(`Error uploading to S3: ${(err as Error).message}`),
    });
    dispatcher.run();

    async function payloadHandler(method: string, body: string): Promise<number> {
      if (method !== "POST") return 405; // http.StatusMethodNotAllowed
      const content = decode(body);
      if (content === null) return 400; // http.StatusBadRequest
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
    JobQueue.close();
    await dispatcher.done;
    expect(errors).toEqual(["Error uploading to S3: S3 refused p0"]);
    expect(s3.uploaded.sort()).toEqual(payloads.slice(1).map((p) => p.name).sort());
  });

  it("on Pool: the handler answers 503 at once when the queue is full", async () => {
    const s3 = fakeS3();
    const pool = new Pool({ maxWorkers: 2, maxQueue: 3 });
    const stall = deferred();
    const failures: unknown[] = [];

    function payloadHandler(method: string, body: string): number {
      if (method !== "POST") return 405;
      const content = decode(body);
      if (content === null) return 400;
      const m = pool.metrics();
      if (content.payloads.length > m.maxQueue - m.queued - m.blockedSubmitters) return 503;
      for (const payload of content.payloads) {
        pool.trySubmit(async () => {
          await stall.promise;
          await s3.upload(payload);
        }).catch((e: unknown) => failures.push(e));
      }
      return 202;
    }

    expect(payloadHandler("POST", JSON.stringify({ payloads: [{ name: "a" }, { name: "b" }] }))).toBe(202);
    // Both run (stalled) on the 2 workers; the queue is empty again.
    expect(payloadHandler("POST", JSON.stringify({ payloads: [{ name: "c" }, { name: "d" }, { name: "e" }] }))).toBe(202);
    expect(payloadHandler("POST", JSON.stringify({ payloads: [{ name: "f" }] }))).toBe(503);
    expect(() => pool.trySubmit(() => undefined)).toThrow(QueueFullError);
    stall.resolve();
    await pool.stopAndWait();
    expect(s3.uploaded.sort()).toEqual(["a", "b", "c", "d", "e"]);
    expect(failures).toEqual([]);
  });
});
