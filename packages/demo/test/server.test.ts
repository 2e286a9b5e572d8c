/**
 * HTTP-level tests of the payload server, in process: every status code, the
 * all-or-nothing admission under a full queue (example-based and a fast-check
 * property over concurrent requests), the Prometheus exposition, and the drain
 * on close.
 */
import fc from "fast-check";
import { request } from "node:http";
import { Pool, type PoolMetrics } from "@gochan/pool";
import { afterEach, describe, expect, it } from "vitest";
import { readPayloads } from "../src/fs-sink.js";
import { startServer, type RunningServer } from "../src/server.js";
import { GatedSink, http, postPayloads, tempDir, testConfig, until } from "./helpers.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Starts a server on a temp fs bucket (or the given sink) and registers its cleanup. */
async function start(
  env: Record<string, string> = {},
  sink?: GatedSink,
  pool?: Pool,
): Promise<{ running: RunningServer; dir: string }> {
  const tmp = await tempDir();
  cleanups.push(tmp.remove);
  const running = await startServer(testConfig(tmp.dir, env), {
    ...(sink === undefined ? {} : { sink }),
    ...(pool === undefined ? {} : { pool }),
  });
  cleanups.push(async () => {
    sink?.open();
    await running.close();
  });
  return { running, dir: tmp.dir };
}

async function stored(dir: string): Promise<unknown[]> {
  const all: unknown[] = [];
  for await (const p of readPayloads(dir)) all.push(p);
  return all;
}

describe("POST /payloads", () => {
  it("answers 202 once every payload is queued, and the sink gets each of them", async () => {
    const { running, dir } = await start();
    const payloads = [{ id: 1, a: "x" }, { id: 2, nested: { b: [1, 2] } }, { id: 3 }];
    const reply = await postPayloads(running.url, payloads);
    expect(reply.status).toBe(202);
    expect(reply.headers["content-type"]).toMatch(/^application\/json/);
    expect(reply.json).toEqual({ accepted: 3 });
    await running.close();
    expect(await stored(dir)).toEqual(expect.arrayContaining(payloads));
    expect(await stored(dir)).toHaveLength(3);
  });

  it("answers 400 with a JSON error for malformed JSON", async () => {
    const { running } = await start();
    const reply = await http(`${running.url}/payloads`, { method: "POST", body: '{"payloads": [{"id": 1}' });
    expect(reply.status).toBe(400);
    expect(reply.headers["content-type"]).toMatch(/^application\/json/);
    expect((reply.json as { error: string }).error).toMatch(/^malformed JSON/);
    expect(running.pool.metrics().submitted).toBe(0);
  });

  it.each([
    ["an array body", "[]", /body must be a JSON object/],
    ["a string body", '"hello"', /body must be a JSON object.*string "hello"/],
    ["null", "null", /body must be a JSON object.*null/],
    ["no payloads field", '{"data": []}', /"payloads" must be an array, got nothing/],
    ["payloads not an array", '{"payloads": {"id": 1}}', /"payloads" must be an array, got an object/],
    ["no payloads", '{"payloads": []}', /at least one payload/],
    ["a number payload", '{"payloads": [1]}', /payloads\[0\] must be a JSON object, got number 1/],
    ["a null among objects", '{"payloads": [{}, {}, null]}', /payloads\[2\] must be a JSON object, got null/],
    ["an array payload", '{"payloads": [{}, []]}', /payloads\[1\] must be a JSON object, got an array/],
  ])("answers 400 naming the problem for %s", async (_name, body, message) => {
    const { running } = await start();
    const reply = await http(`${running.url}/payloads`, { method: "POST", body });
    expect(reply.status).toBe(400);
    expect(reply.headers["content-type"]).toMatch(/^application\/json/);
    expect((reply.json as { error: string }).error).toMatch(message);
    expect(running.pool.metrics().submitted).toBe(0);
  });

  it.each(["GET", "PUT", "DELETE", "PATCH"])("answers 405 with Allow: POST to %s", async (method) => {
    const { running } = await start();
    const reply = await http(`${running.url}/payloads`, { method });
    expect(reply.status).toBe(405);
    expect(reply.headers.allow).toBe("POST");
    expect((reply.json as { error: string }).error).toContain(method);
  });

  it("answers 413 when Content-Length exceeds MAX_BODY_BYTES, without reading the body", async () => {
    const { running } = await start({ MAX_BODY_BYTES: "1024" });
    const body = JSON.stringify({ payloads: [{ data: "x".repeat(2000) }] });
    const reply = await http(`${running.url}/payloads`, { method: "POST", body });
    expect(reply.status).toBe(413);
    expect((reply.json as { error: string }).error).toContain("MAX_BODY_BYTES=1024");
    expect(running.pool.metrics().submitted).toBe(0);
  });

  it("answers 413 when a chunked body grows past MAX_BODY_BYTES", async () => {
    const { running } = await start({ MAX_BODY_BYTES: "1024" });
    const chunks = ['{"payloads": [', ...Array.from({ length: 10 }, (_, i) => `${i === 0 ? "" : ","}{"d":"${"y".repeat(200)}"}`), "]}"];
    const reply = await http(`${running.url}/payloads`, { method: "POST", body: chunks });
    expect(reply.status).toBe(413);
    expect(running.pool.metrics().submitted).toBe(0);
  });

  it("accepts a body of exactly MAX_BODY_BYTES", async () => {
    const { running } = await start({ MAX_BODY_BYTES: "100" });
    const prefix = '{"payloads":[{"d":"';
    const suffix = '"}]}';
    const body = prefix + "z".repeat(100 - prefix.length - suffix.length) + suffix;
    expect(Buffer.byteLength(body)).toBe(100);
    expect((await http(`${running.url}/payloads`, { method: "POST", body })).status).toBe(202);
  });

  it("answers 413 (not 503 forever) to a request with more payloads than MAX_QUEUE", async () => {
    const { running } = await start({ MAX_QUEUE: "5" });
    const reply = await postPayloads(running.url, Array.from({ length: 6 }, (_, id) => ({ id })));
    expect(reply.status).toBe(413);
    expect(reply.json).toMatchObject({ payloads: 6, maxPayloadsPerRequest: 5 });
    expect((reply.json as { error: string }).error).toContain("MAX_QUEUE=5");
    expect(running.pool.metrics().submitted).toBe(0);
    expect((await postPayloads(running.url, Array.from({ length: 5 }, (_, id) => ({ id })))).status).toBe(202);
  });

  it("answers 503 with Retry-After when the queue cannot take the whole request, and queues none of it", async () => {
    const sink = new GatedSink();
    const { running } = await start({ MAX_WORKERS: "2", MAX_QUEUE: "10", RETRY_AFTER_SECONDS: "7" }, sink);
    // Two payloads occupy both workers (their puts wait at the gate).
    expect((await postPayloads(running.url, [{ id: 0 }, { id: 1 }])).status).toBe(202);
    await until(() => sink.waiting === 2, "both workers are busy");
    expect((await postPayloads(running.url, Array.from({ length: 8 }, (_, i) => ({ id: 2 + i })))).status).toBe(202);
    expect(running.pool.metrics().queued).toBe(8);
    // Three payloads do not fit in the two free slots: all refused, none queued
    // (before the body is read: its size says it carries more than two payloads).
    const refused = await postPayloads(running.url, [{ id: 100 }, { id: 101 }, { id: 102 }]);
    expect(refused.status).toBe(503);
    expect(refused.headers["retry-after"]).toBe("7");
    expect(refused.json).toMatchObject({ error: "queue full, retry later", queued: 8, maxQueue: 10 });
    expect(running.pool.metrics()).toMatchObject({ queued: 8, submitted: 10 });
    // Two still fit exactly.
    expect((await postPayloads(running.url, [{ id: 10 }, { id: 11 }])).status).toBe(202);
    expect((await postPayloads(running.url, [{ id: 12 }])).status).toBe(503);
    sink.open();
    await running.close();
    const ids = sink.stored.map((p) => (p as { id: number }).id).sort((a, b) => a - b);
    expect(ids).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(running.httpStats().payloadsAccepted).toBe(12);
    expect(running.httpStats().refusedRequests.get("queue_full")).toBe(2);
  });

  it("revokes the payloads it already queued when trySubmit throws QueueFullError part-way, answering 503", async () => {
    // A pool whose metrics under-report the queue by 3, as if slots were held
    // by something the count misses: the pre-check passes, the 3rd submit throws.
    class DriftingPool extends Pool {
      override metrics(): PoolMetrics {
        const m = super.metrics();
        return { ...m, queued: Math.max(0, m.queued - 3) };
      }
    }
    const sink = new GatedSink();
    const pool = new DriftingPool({ maxWorkers: 1, maxQueue: 5 });
    const { running } = await start({ MAX_WORKERS: "1", MAX_QUEUE: "5" }, sink, pool);
    expect((await postPayloads(running.url, [{ id: 0 }])).status).toBe(202);
    await until(() => sink.waiting === 1, "the worker is busy");
    expect((await postPayloads(running.url, [{ id: 1 }, { id: 2 }, { id: 3 }])).status).toBe(202);
    // Real free slots: 2; reported: 5. Four payloads pass the check, the 3rd submit throws.
    const reply = await postPayloads(running.url, [{ id: 10 }, { id: 11 }, { id: 12 }, { id: 13 }]);
    expect(reply.status).toBe(503);
    expect(reply.headers["retry-after"]).toBe("1");
    sink.open();
    await running.close();
    expect(sink.stored.map((p) => (p as { id: number }).id).sort((a, b) => a - b)).toEqual([0, 1, 2, 3]);
    expect(running.httpStats()).toMatchObject({ payloadsAccepted: 4, payloadsRefused: 4 });
  });

  it("never half-queues a request: concurrent requests are wholly accepted or wholly refused (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 12 }),
        async (workers, queue, shares) => {
          const sink = new GatedSink();
          const tmp = await tempDir();
          const running = await startServer(
            testConfig(tmp.dir, { MAX_WORKERS: String(workers), MAX_QUEUE: String(queue) }),
            { sink },
          );
          try {
            let next = 0;
            const requests = shares.map((share) => {
              const size = 1 + Math.floor(share * (queue - 1));
              const ids = Array.from({ length: size }, () => next++);
              return { ids, reply: postPayloads(running.url, ids.map((id) => ({ id }))) };
            });
            const statuses = await Promise.all(requests.map((r) => r.reply.then((reply) => reply.status)));
            expect(statuses.every((s) => s === 202 || s === 503)).toBe(true);
            expect(statuses).toContain(202); // the first request to arrive always fits
            const accepted = requests.filter((_, i) => statuses[i] === 202).flatMap((r) => r.ids);
            expect(running.pool.metrics().submitted).toBe(accepted.length);
            expect(accepted.length).toBeLessThanOrEqual(workers + queue);
            sink.open();
            await running.close();
            const storedIds = sink.stored.map((p) => (p as { id: number }).id).sort((a, b) => a - b);
            expect(storedIds).toEqual([...accepted].sort((a, b) => a - b));
          } finally {
            sink.open();
            await running.close();
            await tmp.remove();
          }
        },
      ),
      { numRuns: 15, seed: 20250131 },
    );
  }, 30_000);
});

describe("GET /metrics", () => {
  it("serves the pool's, the HTTP side's and the sink's metrics in the Prometheus text format", async () => {
    const { running } = await start({ MAX_WORKERS: "7", MAX_QUEUE: "50" });
    expect((await postPayloads(running.url, [{ id: 1 }, { id: 2 }, { id: 3 }])).status).toBe(202);
    expect((await http(`${running.url}/payloads`, { method: "POST", body: "{" })).status).toBe(400);
    await until(() => running.sink.stats().payloads === 3, "the sink stored the payloads");
    const reply = await http(`${running.url}/metrics`);
    expect(reply.status).toBe(200);
    expect(reply.headers["content-type"]).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(reply.text.endsWith("\n")).toBe(true);

    // Validate the exposition format line by line.
    const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
    const help = new RegExp(`^# HELP (${NAME}) \\S.*$`);
    const type = new RegExp(`^# TYPE (${NAME}) (counter|gauge)$`);
    const sample = new RegExp(`^(${NAME})(\\{${NAME}="[^"\\\\\\n]*"(,${NAME}="[^"\\\\\\n]*")*\\})? (-?\\d+(\\.\\d+)?(e[+-]?\\d+)?)$`);
    const types = new Map<string, string>();
    const helped = new Set<string>();
    const values = new Map<string, number>();
    for (const line of reply.text.slice(0, -1).split("\n")) {
      let m: RegExpExecArray | null;
      if ((m = help.exec(line)) !== null) {
        expect(helped.has(m[1] as string), `HELP twice for ${m[1]}`).toBe(false);
        helped.add(m[1] as string);
      } else if ((m = type.exec(line)) !== null) {
        expect(types.has(m[1] as string), `TYPE twice for ${m[1]}`).toBe(false);
        types.set(m[1] as string, m[2] as string);
      } else if ((m = sample.exec(line)) !== null) {
        const name = m[1] as string;
        expect(types.get(name), `sample ${name} before its TYPE`).toBeDefined();
        if (types.get(name) === "counter") expect(name).toMatch(/_total$/);
        values.set(`${name}${m[2] ?? ""}`, Number(m[4]));
      } else {
        throw new Error(`not a valid exposition line: ${JSON.stringify(line)}`);
      }
    }
    expect([...types.keys()].every((name) => helped.has(name))).toBe(true);
    expect(values.get("gochan_pool_max_workers")).toBe(7);
    expect(values.get("gochan_pool_max_queue")).toBe(50);
    expect(values.get("gochan_pool_jobs_submitted_total")).toBe(3);
    expect(values.get("gochan_pool_jobs_succeeded_total")).toBe(3);
    expect(values.get('demo_http_responses_total{code="202"}')).toBe(1);
    expect(values.get('demo_http_responses_total{code="400"}')).toBe(1);
    expect(values.get("demo_payloads_accepted_total")).toBe(3);
    expect(values.get("demo_sink_payloads_total")).toBe(3);
    for (const name of ["gochan_pool_workers_running", "gochan_pool_workers_idle", "gochan_pool_jobs_queued"]) {
      expect(values.has(name), name).toBe(true);
    }
  });

  it("answers 405 to POST /metrics", async () => {
    const { running } = await start();
    const reply = await http(`${running.url}/metrics`, { method: "POST", body: "" });
    expect(reply.status).toBe(405);
    expect(reply.headers.allow).toBe("GET, HEAD");
  });
});

describe("other routes", () => {
  it("answers GET /healthz with 200", async () => {
    const { running } = await start();
    const reply = await http(`${running.url}/healthz`);
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({ status: "ok" });
  });

  it("answers 404 to an unknown path", async () => {
    const { running } = await start();
    const reply = await http(`${running.url}/nope?x=1`);
    expect(reply.status).toBe(404);
    expect((reply.json as { error: string }).error).toContain("/nope");
  });
});

describe("close (graceful shutdown)", () => {
  it("waits for queued and running uploads, refuses requests still arriving, and leaves every 202 in the sink", async () => {
    const sink = new GatedSink();
    const { running } = await start({ MAX_WORKERS: "2", MAX_QUEUE: "20" }, sink);
    const first = Array.from({ length: 10 }, (_, id) => ({ id }));
    expect((await postPayloads(running.url, first)).status).toBe(202);

    // A request whose body is still arriving when the shutdown starts.
    const arrived = new Promise((resolve) => running.server.once("request", resolve));
    const lateRequest = request(`${running.url}/payloads`, { method: "POST", agent: false });
    const late = new Promise<{ status: number; connection: string | undefined }>((resolve, reject) => {
      lateRequest.on("error", reject);
      lateRequest.on("response", (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
      });
    });
    lateRequest.write('{"payloads": [{"id": 1000}');
    await arrived;

    let closed = false;
    const closing = running.close().then(() => {
      closed = true;
    });
    lateRequest.end("]}");
    const lateReply = await late;
    expect(lateReply.status).toBe(503);
    expect(lateReply.connection).toBe("close");
    expect(closed).toBe(false); // the drain waits for the gated uploads
    sink.open();
    await closing;
    expect(closed).toBe(true);
    expect(sink.stored.map((p) => (p as { id: number }).id).sort((a, b) => a - b)).toEqual(first.map((p) => p.id));
    expect(running.pool.metrics().submitted).toBe(10);
  });
});
