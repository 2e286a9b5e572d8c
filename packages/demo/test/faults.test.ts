/**
 * Faults, end to end over HTTP: a sink that fails for a while (an injected
 * fault in the fs sink), over-deep and invalid-UTF-8 bodies, a request that
 * cannot fit, a body held open. Each asserts that every acknowledged payload is
 * stored or read back from the dead-letter file, and that clients were told 503
 * while the sink was down.
 */
import { connect } from "node:net";
import { join } from "node:path";
import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { checkSink } from "../src/demo.js";
import { FsSink, readPayloads } from "../src/fs-sink.js";
import { LoadGenerator } from "../src/load.js";
import { startServer, type RunningServer } from "../src/server.js";
import { GatedSink, http, postPayloads, tempDir, testConfig, until } from "./helpers.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const FAST_FAILURE = {
  RETRY_ATTEMPTS: "3",
  RETRY_BASE_MS: "5",
  RETRY_MAX_MS: "20",
  BREAKER_FAILURES: "3",
  BREAKER_COOLDOWN_MS: "50",
};

async function start(env: Record<string, string>, sink?: FsSink | GatedSink): Promise<{ running: RunningServer; bucket: string; deadLetterFile: string }> {
  const tmp = await tempDir();
  cleanups.push(tmp.remove);
  const bucket = join(tmp.dir, "bucket");
  const deadLetterFile = join(tmp.dir, "dead-letter.ndjson");
  const running = await startServer(testConfig(bucket, { DEAD_LETTER_FILE: deadLetterFile, ...env }), sink === undefined ? {} : { sink });
  cleanups.push(async () => {
    if (sink instanceof GatedSink) sink.open();
    await running.close();
  });
  return { running, bucket, deadLetterFile };
}

describe("a sink that fails for a while", () => {
  it("answers 503 and reports unhealthy while it fails, then recovers; every 202'd payload is stored or dead-lettered", async () => {
    const tmp = await tempDir();
    cleanups.push(tmp.remove);
    let failing = false;
    let faults = 0;
    const sink = new FsSink({
      dir: join(tmp.dir, "bucket"),
      batchSize: 50,
      fault: () => {
        if (!failing) return undefined;
        faults += 1;
        return Object.assign(new Error("ENOSPC: no space left on device (injected)"), { code: "ENOSPC" });
      },
    });
    const { running, deadLetterFile } = await start({ ...FAST_FAILURE, MAX_WORKERS: "64", MAX_QUEUE: "400" }, sink);
    const generator = new LoadGenerator({
      url: running.url,
      totalPayloads: 4000,
      payloadsPerRequest: 20,
      connections: 4,
      maxAttempts: 1_000_000, // retry every 503 until the sink is back
    });
    const load = generator.run();
    await until(() => generator.progress().acknowledged >= 500, "500 payloads were acknowledged");

    failing = true;
    // Admission fails closed: the breaker opens and clients are told 503 ...
    await until(() => (running.httpStats().refusedRequests.get("sink_failing") ?? 0) >= 5, "clients got 503 for the failing sink");
    // /healthz says so (polled: a write begun before the fault may still succeed and close it for a moment).
    let health = await http(`${running.url}/healthz`);
    for (let i = 0; i < 200 && health.status !== 503; i++) health = await http(`${running.url}/healthz`);
    expect(health.status).toBe(503);
    expect(health.json).toMatchObject({ status: "sink failing" });
    // ... and what was queued is retried, then dead-lettered, never dropped.
    await until(() => running.delivery.stats().deadLettered > 0, "a payload was dead-lettered");
    const ackedDuringFault = generator.progress().acknowledged;
    failing = false;

    const result = await load;
    const metrics = (await http(`${running.url}/metrics`)).text;
    await running.close();
    expect(faults).toBeGreaterThan(0);
    expect(result.acknowledged).toBe(4000);
    expect(result.acknowledged).toBeGreaterThan(ackedDuringFault); // admission recovered after the fault
    expect(result.refusals503).toBeGreaterThan(0);
    const d = running.delivery.stats();
    expect(d.lost).toBe(0);
    expect(d.retries).toBeGreaterThan(0);
    const check = await checkSink(join(tmp.dir, "bucket"), result, deadLetterFile);
    expect(check).toMatchObject({ ok: true, missing: 0, unacknowledged: 0, duplicates: 0 });
    expect(check.deadLettered).toBe(d.deadLettered);
    expect(check.stored + check.deadLettered).toBe(4000);
    // Every failure reached the counters.
    expect(running.sink.stats().failedPayloads).toBe(d.failedAttempts);
    expect(metrics).toContain(`demo_sink_failed_payloads_total ${d.failedAttempts}\n`);
    expect(metrics).toMatch(/demo_breaker_opened_total [1-9]/);
    expect(metrics).toMatch(/demo_requests_refused_total\{reason="sink_failing"\} [1-9]/);
    expect(metrics).toContain("demo_payloads_lost_total 0\n");
  }, 60_000);
});

describe("bodies refused before any 202", () => {
  it("answers 400 to JSON nested deeper than MAX_JSON_DEPTH (4,500 levels in a 10 KB body), queueing nothing", async () => {
    const { running, bucket } = await start({});
    const deep = `{"payloads":[{"id":1,"deep":${"[".repeat(4500)}${"]".repeat(4500)}}]}`;
    const reply = await http(`${running.url}/payloads`, { method: "POST", body: deep });
    expect(reply.status).toBe(400);
    expect((reply.json as { error: string }).error).toBe("JSON nested deeper than MAX_JSON_DEPTH=64 levels");
    // Exactly at the limit is fine: body (1) > payloads (2) > payload (3) > 61 arrays.
    const atLimit = `{"payloads":[{"id":2,"deep":${"[".repeat(61)}${"]".repeat(61)}}]}`;
    expect((await http(`${running.url}/payloads`, { method: "POST", body: atLimit })).status).toBe(202);
    const over = `{"payloads":[{"id":3,"deep":${"[".repeat(62)}${"]".repeat(62)}}]}`;
    expect((await http(`${running.url}/payloads`, { method: "POST", body: over })).status).toBe(400);
    await running.close();
    expect(running.pool.metrics().submitted).toBe(1);
    const ids: unknown[] = [];
    for await (const p of readPayloads(bucket)) ids.push((p as { id: number }).id);
    expect(ids).toEqual([2]);
  });

  it("answers 400 to a body that is not valid UTF-8 instead of storing U+FFFD", async () => {
    const { running, bucket } = await start({});
    const invalid = Buffer.concat([Buffer.from('{"payloads":[{"id":1,"name":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}]}')]);
    const reply = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${running.url}/payloads`, { method: "POST", agent: false, headers: { "Content-Length": invalid.length } });
      req.on("error", reject);
      req.on("response", (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.end(invalid);
    });
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.body)).toEqual({ error: "body is not valid UTF-8" });
    // Valid multi-byte text is stored as sent.
    expect((await postPayloads(running.url, [{ id: 2, name: "Zoë 名前 🦫" }])).status).toBe(202);
    await running.close();
    const stored: unknown[] = [];
    for await (const p of readPayloads(bucket)) stored.push(p);
    expect(stored).toEqual([{ id: 2, name: "Zoë 名前 🦫" }]);
  });
});

describe("a request that cannot fit", () => {
  it("is answered 503 before its body is read when no queue slot is free", async () => {
    const sink = new GatedSink();
    const { running } = await start({ MAX_WORKERS: "1", MAX_QUEUE: "2" }, sink);
    expect((await postPayloads(running.url, [{ id: 0 }])).status).toBe(202);
    await until(() => sink.waiting === 1, "the worker is busy");
    expect((await postPayloads(running.url, [{ id: 1 }, { id: 2 }])).status).toBe(202);
    // Headers and a first chunk only: the answer cannot wait for the rest.
    const reply = await new Promise<{ status: number; retryAfter: string | undefined }>((resolve, reject) => {
      const req = request(`${running.url}/payloads`, { method: "POST", agent: false, headers: { "Content-Length": 1000 } });
      req.on("error", reject);
      req.on("response", (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, retryAfter: res.headers["retry-after"] });
        req.destroy();
      });
      req.write('{"payloads":[');
    });
    expect(reply).toEqual({ status: 503, retryAfter: "1" });
    expect(running.httpStats().refusedRequests.get("queue_full")).toBe(1);
    expect(running.httpStats().payloadsRefused).toBe(0); // refused unread: its payloads were never counted
  });
});

describe("a client that holds a body open", () => {
  it("is cut off by the request timeout instead of holding the connection for Node's default 300 s", async () => {
    const { running } = await start({ HEADERS_TIMEOUT_MS: "200", REQUEST_TIMEOUT_MS: "300" });
    const socket = connect(running.port, "127.0.0.1");
    let answer = "";
    socket.setEncoding("utf8").on("data", (chunk: string) => (answer += chunk));
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    socket.write("POST /payloads HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"payloads\":[");
    await closed;
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(running.pool.metrics().submitted).toBe(0);
  });
});
