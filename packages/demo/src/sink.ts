/**
 * The upload step of the seed's `Payload.UploadToS3`, behind a small interface so
 * the server does not care where payloads go.
 *
 * @module
 */

/**
 * Counters a sink keeps, exported on `/metrics`.
 *
 * @example
 * ```ts
 * const stats: SinkStats = { payloads: 10, objects: 1, bytes: 420, failedPayloads: 0 };
 * ```
 */
export interface SinkStats {
  /** Payloads durably stored. */
  readonly payloads: number;
  /** Objects written (one per payload, or one per batch). */
  readonly objects: number;
  /** Bytes of object bodies written. */
  readonly bytes: number;
  /** Payloads whose `put` rejected. */
  readonly failedPayloads: number;
}

/**
 * Where payloads are uploaded.
 *
 * Contract: `put` resolves only once the payload is durably stored (so a pool job
 * that awaits it completes when the upload has happened) and rejects if it could
 * not be; `flush` resolves once every `put` started before it has settled;
 * `close` flushes, then refuses further puts. A sink may group concurrent puts
 * into one object.
 *
 * @example
 * ```ts
 * async function upload(sink: Sink, payloads: readonly object[]): Promise<void> {
 *   await Promise.all(payloads.map((p) => sink.put(p)));
 *   await sink.close();
 * }
 * ```
 */
export interface Sink {
  /** Human-readable target, e.g. `fs:/tmp/bucket` or `s3://bucket/prefix`. */
  readonly description: string;
  /** Stores one payload (a JSON value); resolves once it is durable. */
  put(payload: unknown): Promise<void>;
  /** Resolves once every put started before this call has settled. */
  flush(): Promise<void>;
  /** Flushes, then rejects every later put with {@link SinkClosedError}. */
  close(): Promise<void>;
  /** Current counters. */
  stats(): SinkStats;
}

/**
 * Rejected by {@link Sink.put} after the sink was closed.
 *
 * @example
 * ```ts
 * try {
 *   await sink.put({ id: 1 });
 * } catch (error) {
 *   if (error instanceof SinkClosedError) console.error("too late:", error.message);
 * }
 * ```
 */
export class SinkClosedError extends Error {
  override readonly name = "SinkClosedError";
  constructor(description: string) {
    super(`sink ${description} is closed`);
  }
}
