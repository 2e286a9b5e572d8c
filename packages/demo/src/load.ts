/**
 * A small closed-loop load generator for the payload server: `connections`
 * keep-alive connections, each sending one request at a time, until a fixed
 * number of payloads has been acknowledged (or refused for good).
 *
 * Every payload carries a unique integer `id` (0 to total-1), so a check can
 * compare the sink's content with exactly the payloads that got 202.
 * A 503 is retried with the same payloads after an exponential backoff (5 ms,
 * doubling) that never exceeds the server's `Retry-After`; at most `maxAttempts`
 * attempts per request, so every loop ends.
 *
 * @module
 */
import { Agent, request } from "node:http";

/**
 * Options of {@link LoadGenerator}.
 *
 * @example
 * ```ts
 * const options: LoadOptions = { url: "http://127.0.0.1:8080", totalPayloads: 10_000, payloadsPerRequest: 100, connections: 8 };
 * ```
 */
export interface LoadOptions {
  /** The server's base URL. */
  readonly url: string;
  /** Payloads to send in all. */
  readonly totalPayloads: number;
  /** Payloads per request (the last request may carry fewer). */
  readonly payloadsPerRequest: number;
  /** Concurrent keep-alive connections (default 8). */
  readonly connections?: number;
  /** Approximate size of one payload in bytes (default 200). */
  readonly payloadBytes?: number;
  /** Retry a request answered 503 (default true); false counts it as refused. */
  readonly retry?: boolean;
  /** Most attempts per request (default 1000). */
  readonly maxAttempts?: number;
  /** Stops sending new requests when aborted. */
  readonly signal?: AbortSignal;
}

/**
 * Per-payload outcome in {@link LoadResult.state}.
 *
 * @example
 * ```ts
 * if (result.state[17] === PayloadState.Acknowledged) console.log("payload 17 got 202");
 * ```
 */
export const PayloadState = {
  /** Never sent. */
  Unsent: 0,
  /** Its request got 202. */
  Acknowledged: 1,
  /** Its request got a final non-202 status. */
  Refused: 2,
  /** Its request failed without a response (connection error). */
  Unknown: 3,
} as const;

/**
 * What a run of the load generator did.
 *
 * @example
 * ```ts
 * const result = await new LoadGenerator(options).run();
 * console.log(result.acknowledged, "payloads acknowledged");
 * ```
 */
export interface LoadResult {
  /** One {@link PayloadState} per payload id. */
  readonly state: Uint8Array;
  readonly acknowledged: number;
  /** Requests answered, by final status code (after retries). */
  readonly statuses: ReadonlyMap<number, number>;
  /** Attempts answered 503 (each retried, unless `retry` is false). */
  readonly refusals503: number;
  /** Requests that failed without a response. */
  readonly networkErrors: number;
  /** The first few network errors, for the report. */
  readonly errorSamples: readonly string[];
  /** Latency of every answered attempt, in milliseconds. */
  readonly latenciesMs: Float64Array;
  /** `performance.now()` when the first request was sent and when the last one was answered. */
  readonly startedAt: number;
  readonly finishedAt: number;
}

/**
 * Live counters, for a progress display.
 *
 * @example
 * ```ts
 * const { acknowledged, inFlight } = generator.progress();
 * ```
 */
export interface LoadProgress {
  readonly acknowledged: number;
  readonly sentRequests: number;
  readonly refusals503: number;
  readonly inFlight: number;
}

interface Answer {
  readonly status: number;
  readonly retryAfter: string | undefined;
}

/**
 * Sends `totalPayloads` payloads to `POST /payloads` over `connections`
 * keep-alive connections.
 *
 * @example
 * ```ts
 * const generator = new LoadGenerator({ url: running.url, totalPayloads: 1000, payloadsPerRequest: 100 });
 * const result = await generator.run();
 * console.log(result.acknowledged); // 1000
 * ```
 */
export class LoadGenerator {
  readonly #options: Required<Omit<LoadOptions, "signal">>;
  readonly #signal: AbortSignal | undefined;
  readonly #agent: Agent;
  readonly #state: Uint8Array;
  readonly #filler: string;
  readonly #latencies: number[] = [];
  readonly #statuses = new Map<number, number>();
  readonly #errorSamples: string[] = [];
  #next = 0;
  #acknowledged = 0;
  #sent = 0;
  #refusals = 0;
  #networkErrors = 0;
  #inFlight = 0;

  constructor(options: LoadOptions) {
    const {
      url,
      totalPayloads,
      payloadsPerRequest,
      connections = 8,
      payloadBytes = 200,
      retry = true,
      maxAttempts = 1000,
      signal,
    } = options;
    for (const [name, value, min] of [
      ["totalPayloads", totalPayloads, 1],
      ["payloadsPerRequest", payloadsPerRequest, 1],
      ["connections", connections, 1],
      ["payloadBytes", payloadBytes, 0],
      ["maxAttempts", maxAttempts, 1],
    ] as const) {
      if (!Number.isSafeInteger(value) || value < min) {
        throw new RangeError(`LoadGenerator ${name} must be an integer >= ${min}, got ${String(value)}`);
      }
    }
    this.#options = { url, totalPayloads, payloadsPerRequest, connections, payloadBytes, retry, maxAttempts };
    this.#signal = signal;
    this.#agent = new Agent({ keepAlive: true, maxSockets: connections });
    this.#state = new Uint8Array(totalPayloads);
    this.#filler = "x".repeat(Math.max(0, payloadBytes - 60));
  }

  /** Live counters. */
  progress(): LoadProgress {
    return {
      acknowledged: this.#acknowledged,
      sentRequests: this.#sent,
      refusals503: this.#refusals,
      inFlight: this.#inFlight,
    };
  }

  /** Runs the load to the end (or until the signal aborts) and closes the connections. */
  async run(): Promise<LoadResult> {
    const startedAt = performance.now();
    const loops: Promise<void>[] = [];
    for (let i = 0; i < this.#options.connections; i++) loops.push(this.#loop());
    try {
      await Promise.all(loops);
    } finally {
      this.#agent.destroy();
    }
    return {
      state: this.#state,
      acknowledged: this.#acknowledged,
      statuses: this.#statuses,
      refusals503: this.#refusals,
      networkErrors: this.#networkErrors,
      errorSamples: this.#errorSamples,
      latenciesMs: Float64Array.from(this.#latencies),
      startedAt,
      finishedAt: performance.now(),
    };
  }

  async #loop(): Promise<void> {
    const { totalPayloads, payloadsPerRequest, retry, maxAttempts } = this.#options;
    while (this.#next < totalPayloads && !this.#aborted()) {
      const first = this.#next;
      const end = Math.min(totalPayloads, first + payloadsPerRequest);
      this.#next = end;
      const body = this.#body(first, end);
      let outcome: number = PayloadState.Unknown;
      let status = 0;
      for (let attempt = 1; attempt <= maxAttempts; attempt++) {
        let answer: Answer;
        const t0 = performance.now();
        this.#inFlight += 1;
        this.#sent += 1;
        try {
          answer = await this.#post(body);
        } catch (error) {
          this.#networkErrors += 1;
          if (this.#errorSamples.length < 5) this.#errorSamples.push(error instanceof Error ? error.message : String(error));
          outcome = PayloadState.Unknown;
          break;
        } finally {
          this.#inFlight -= 1;
        }
        this.#latencies.push(performance.now() - t0);
        status = answer.status;
        if (status === 202) {
          outcome = PayloadState.Acknowledged;
          break;
        }
        outcome = PayloadState.Refused;
        if (status !== 503) break;
        this.#refusals += 1;
        if (!retry || attempt === maxAttempts || this.#aborted()) break;
        const retryAfter = Number(answer.retryAfter ?? "1");
        const limitMs = Number.isFinite(retryAfter) ? Math.max(1, retryAfter * 1000) : 1000;
        await sleep(Math.min(limitMs, 5 * 2 ** Math.min(attempt - 1, 16)));
      }
      if (status !== 0) this.#statuses.set(status, (this.#statuses.get(status) ?? 0) + 1);
      this.#state.fill(outcome, first, end);
      if (outcome === PayloadState.Acknowledged) this.#acknowledged += end - first;
    }
  }

  #aborted(): boolean {
    return this.#signal?.aborted === true;
  }

  #body(first: number, end: number): string {
    let body = '{"payloads":[';
    for (let id = first; id < end; id++) {
      if (id !== first) body += ",";
      body += `{"id":${id},"version":"1.0","token":"t-${id % 997}","data":"${this.#filler}"}`;
    }
    return body + "]}";
  }

  #post(body: string): Promise<Answer> {
    return new Promise<Answer>((resolve, reject) => {
      const req = request(`${this.#options.url}/payloads`, {
        method: "POST",
        agent: this.#agent,
        headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) },
      });
      req.on("error", reject);
      req.on("response", (res) => {
        res.on("error", reject);
        res.resume(); // the body is small JSON the generator does not need
        res.on("end", () => {
          const retryAfter = res.headers["retry-after"];
          resolve({ status: res.statusCode ?? 0, retryAfter });
        });
      });
      req.end(body);
    });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The `q` quantile (0..1) of `values` (nearest rank); NaN for no values.
 *
 * @example
 * ```ts
 * console.log(quantile(Float64Array.of(1, 2, 3, 4), 0.5)); // 2
 * ```
 */
export function quantile(values: Float64Array, q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1] as number;
}
