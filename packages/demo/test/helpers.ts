/** Shared helpers of the demo's tests: temp dirs, a raw HTTP client, a gated sink. */
import { mkdtemp, rm } from "node:fs/promises";
import { request, type IncomingHttpHeaders } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig, type ServerConfig } from "../src/config.js";
import { SinkClosedError, type Sink, type SinkStats } from "../src/sink.js";

/** Creates a temp directory; the returned function removes it. */
export async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "gochan-demo-test-"));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A server configuration for tests: loopback, any free port, the given overrides. */
export function testConfig(dir: string, env: Record<string, string> = {}): ServerConfig {
  return parseConfig({ HOST: "127.0.0.1", PORT: "0", SINK_DIR: dir, ...env });
}

export interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  readonly json: unknown;
}

/**
 * Sends one request on a fresh connection and collects the reply. `body` as an
 * array of strings is sent chunked (no Content-Length).
 */
export function http(
  url: string,
  options: { method?: string; body?: string | readonly string[]; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const { method = "GET", body, headers = {} } = options;
  return new Promise<Reply>((resolve, reject) => {
    const req = request(url, { method, headers: { Connection: "close", ...headers }, agent: false });
    req.on("error", reject);
    req.on("response", (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("error", reject);
      res.on("end", () => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    if (Array.isArray(body)) {
      for (const chunk of body) req.write(chunk);
      req.end();
    } else {
      req.end(body as string | undefined);
    }
  });
}

/** Posts `{"payloads": [...]}`. */
export function postPayloads(url: string, payloads: readonly unknown[]): Promise<Reply> {
  return http(`${url}/payloads`, {
    method: "POST",
    body: JSON.stringify({ payloads }),
    headers: { "Content-Type": "application/json" },
  });
}

/**
 * A sink whose puts wait until the gate opens, so tests can fill the pool's
 * queue deterministically; it records every payload it stored, in order.
 */
export class GatedSink implements Sink {
  readonly description = "gated test sink";
  readonly stored: unknown[] = [];
  #open = false;
  #waiting: (() => void)[] = [];
  #inFlight = 0;
  #idle: (() => void)[] = [];
  #closed = false;

  /** Lets every waiting and future put through. */
  open(): void {
    this.#open = true;
    for (const release of this.#waiting.splice(0)) release();
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  async put(payload: unknown): Promise<void> {
    if (this.#closed) throw new SinkClosedError(this.description);
    this.#inFlight += 1;
    try {
      if (!this.#open) await new Promise<void>((resolve) => this.#waiting.push(resolve));
      this.stored.push(payload);
    } finally {
      this.#inFlight -= 1;
      if (this.#inFlight === 0) for (const wake of this.#idle.splice(0)) wake();
    }
  }

  async flush(): Promise<void> {
    if (this.#inFlight > 0) await new Promise<void>((resolve) => this.#idle.push(resolve));
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
  }

  stats(): SinkStats {
    return { payloads: this.stored.length, objects: this.stored.length, bytes: 0, failedPayloads: 0 };
  }
}

/** Waits (bounded) until `condition` holds, polling on macrotask turns. */
export async function until(condition: () => boolean, what: string, limitMs = 10_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
