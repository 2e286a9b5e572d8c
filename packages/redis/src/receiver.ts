/**
 * The receiving end of a stream: a core `RecvChan` of deliveries, fed by one
 * reader loop that reads through a consumer group.
 *
 * Invariants:
 * - Every entry this receiver has read and not settled is in `#outstanding`
 *   (in the reader's hand, in the `messages` buffer, or with the user), and it
 *   is pending in Redis, owned by this consumer, until acked or released.
 * - The reader never holds more than `prefetch` entries beyond the buffer: it
 *   reads at most the buffer's free room and waits on the channel's send.
 * - Ack and nack act only on entries the consumer still owns in Redis (the
 *   scripts check), so a late ack of an entry claimed by another receiver
 *   changes nothing and says so (false).
 *
 * - An entry id is outstanding at most once: one claimed back while still
 *   held here is not delivered a second time.
 *
 * The loop climbs the same ladder every turn: stopped? -> time to claim idle
 * entries (XAUTOCLAIM, dead-lettering the over-delivered)? -> read new entries
 * (XREADGROUP, blocking) -> nothing new and the stream closed and empty? end.
 * A timer of its own refreshes the outstanding entries every claimIdleMs / 3
 * (the loop may be waiting for room in the channel meanwhile).
 *
 * @module
 */
import { Chan, type RecvChan } from "@gochan/core";
import type { Codec } from "./codec.js";
import { Link } from "./connection.js";
import { Delivery, type Settler } from "./delivery.js";
import { ConnectionLostError, fromRedisError, SerializationError } from "./errors.js";
import { count, defaultConsumer, resolveStream, text, type ReceiverOptions } from "./options.js";
import { ACK, BURY, CLAIM, DRAINED, runScript, TOUCH } from "./scripts.js";
import { sleep } from "./sleep.js";

const RUNNING = 0;
const STOPPING = 1;
const STOPPED = 2;

const ACKED = 1;
const NOT_PENDING = 0;

type Entry = [id: string, fields: string[]];
type ReadReply = [key: string, entries: Entry[]][] | null;
type ClaimReply = [cursor: string, claimed: [id: string, payload: string, deliveries: number][], dead: number];

interface PendingAck {
  readonly id: string;
  readonly resolve: (acked: boolean) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Receives values from a Redis stream through a consumer group, as a core
 * channel: {@link RedisReceiver.messages} is a `RecvChan` of {@link Delivery}
 * objects, usable with `select`, `for await`, AbortSignal, and as the job queue
 * of `@gochan/pool`'s `Dispatcher`. Each delivery must be acked once its work
 * succeeded (see {@link acking} for handlers).
 *
 * Delivery is at least once: an entry is removed only by its ack; entries of
 * a receiver that died are claimed by the others after `claimIdleMs`; an entry
 * delivered `maxDeliveries` times without an ack goes to the dead-letter stream.
 *
 * The `messages` channel closes (receivers see Go's closed-and-drained state)
 * when the stream was closed by a sender and every entry is acknowledged, or
 * after {@link RedisReceiver.stop}.
 *
 * @typeParam T - the values carried by the stream.
 *
 * @example
 * ```ts
 * import { RedisReceiver } from "@gochan/redis";
 * const receiver = new RedisReceiver<{ id: string }>({ redis: "redis://127.0.0.1:6379", key: "jobs", group: "uploaders" });
 * for await (const delivery of receiver.messages) {
 *   console.log("processing", delivery.value.id);
 *   await delivery.ack();
 * }
 * ```
 */
export class RedisReceiver<T> {
  /** The stream's key. */
  readonly key: string;
  /** The consumer group. */
  readonly group: string;
  /** This receiver's consumer name in the group. */
  readonly consumer: string;
  /** The dead-letter stream's key. */
  readonly deadLetterKey: string;
  /** The deliveries, as a receive-only channel of capacity `prefetch`. */
  readonly messages: RecvChan<Delivery<T>>;
  readonly #engine: ReceiverEngine<T>;

  /**
   * Opens two connections (one for the blocking reads) and starts reading.
   *
   * @throws TypeError or RangeError naming a bad option.
   */
  constructor(options: ReceiverOptions<T>) {
    this.#engine = new ReceiverEngine(options);
    this.key = this.#engine.key;
    this.group = this.#engine.group;
    this.consumer = this.#engine.consumer;
    this.deadLetterKey = this.#engine.deadKey;
    this.messages = this.#engine.chan;
  }

  /** How many entries this receiver holds unsettled (read from Redis, not yet acked or nacked). */
  get outstanding(): number {
    return this.#engine.outstanding.size;
  }

  /**
   * Resolves once the receiver has ended: the stream was closed and drained,
   * or {@link RedisReceiver.stop} / {@link RedisReceiver.disconnect} finished.
   */
  get done(): Promise<void> {
    return this.#engine.done;
  }

  /**
   * Stops receiving, gracefully: reads no more; entries still in the
   * `messages` buffer go back to the stream at once (released for any
   * receiver); `messages` closes; then it waits until every delivery already
   * taken is acked or nacked, and closes its connections. Idempotent.
   *
   * @example
   * ```ts
   * import { RedisReceiver } from "@gochan/redis";
   * const receiver = new RedisReceiver<string>({ redis: "redis://127.0.0.1:6379", key: "jobs" });
   * process.once("SIGTERM", () => void receiver.stop());
   * for await (const d of receiver.messages) await d.ack(); // ends once stopped
   * ```
   */
  stop(): Promise<void> {
    return this.#engine.stop();
  }

  /**
   * Stops at once, as a crash would: closes the connections now; unsettled
   * deliveries stay pending in Redis and are claimed by other receivers after
   * `claimIdleMs`; acks still in progress reject with {@link ConnectionLostError}.
   */
  disconnect(): Promise<void> {
    return this.#engine.disconnect();
  }
}

/** The receiver's machinery, kept out of its public type. @internal */
class ReceiverEngine<T> implements Settler {
  readonly key: string;
  readonly group: string;
  readonly consumer: string;
  readonly deadKey: string;
  readonly chan: Chan<Delivery<T>>;
  readonly outstanding = new Map<string, Delivery<T>>();
  readonly done: Promise<void>;
  readonly #closedKey: string;
  readonly #codec: Codec<T>;
  readonly #prefetch: number;
  readonly #claimIdleMs: number;
  readonly #claimIntervalMs: number;
  readonly #maxDeliveries: number;
  readonly #blockMs: number;
  readonly #onError: (error: unknown) => void;
  readonly #client: Link;
  readonly #reader: Link;
  readonly #abort = new AbortController();
  #state = RUNNING;
  #acks: PendingAck[] = [];
  #stopping: Promise<void> | null = null;
  #loop: Promise<void>;
  #settledAll: (() => void) | null = null;
  readonly #beat: ReturnType<typeof setInterval>;

  constructor(options: ReceiverOptions<T>) {
    const where = "new RedisReceiver";
    const stream = resolveStream(where, options);
    this.key = stream.key;
    this.#closedKey = stream.closedKey;
    this.#codec = stream.codec;
    this.group = text(where, "group", options.group, "gochan");
    this.consumer = text(where, "consumer", options.consumer, defaultConsumer());
    this.deadKey = text(where, "deadLetterKey", options.deadLetterKey, `${stream.key}:dead`);
    this.#prefetch = count(where, "prefetch", options.prefetch, 64, 1);
    this.#claimIdleMs = count(where, "claimIdleMs", options.claimIdleMs, 30_000, 1);
    this.#claimIntervalMs = count(where, "claimIntervalMs", options.claimIntervalMs, 1_000, 1);
    this.#maxDeliveries = count(where, "maxDeliveries", options.maxDeliveries, 5, 1);
    this.#blockMs = count(where, "blockMs", options.blockMs, 1_000, 1);
    if (options.onError !== undefined && typeof options.onError !== "function") {
      throw new TypeError(`${where}: onError must be a function, got ${typeof options.onError}`);
    }
    this.#onError = options.onError ?? ((error: unknown) => console.warn(error));
    this.chan = new Chan<Delivery<T>>(this.#prefetch, { name: `redis:${stream.key}` });
    this.#client = new Link(stream.redis, `gochan-receiver:${this.consumer}`, stream.reconnectWaitMs);
    this.#reader = new Link(stream.redis, `gochan-reader:${this.consumer}`, stream.reconnectWaitMs);
    // The heartbeat runs on its own timer: the reader loop may wait a long time
    // for room in the channel, and entries waiting there must not look dead.
    this.#beat = setInterval(() => void this.#heartbeat(), Math.max(1, Math.floor(this.#claimIdleMs / 3)));
    this.#beat.unref();
    this.#loop = this.#run();
    this.done = this.#loop.then(() => this.#finish());
  }

  // ---- Settler: the one place deliveries are settled ----

  ack(delivery: Delivery<unknown>): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      // Acks issued in one turn of the event loop share one script call.
      if (this.#acks.length === 0) setImmediate(() => void this.#flushAcks());
      this.#acks.push({ id: delivery.id, resolve, reject });
    });
  }

  async nack(delivery: Delivery<unknown>, delayMs: number): Promise<boolean> {
    const idle = Math.max(0, this.#claimIdleMs - Math.ceil(delayMs));
    // Forgotten first: once released, this receiver's own claim scan may take the
    // entry back, and must then deliver it afresh (if the release fails, the entry
    // stays pending to us, unrefreshed, and our claim scan takes it back later).
    this.#forget(delivery.id);
    const [replies, retried] = await this.#retrying("XCLAIM", () => this.#client.run("XCLAIM", (c) => runScript(c, TOUCH, [this.key, this.group, this.consumer, idle, delivery.id])));
    const r = (replies as number[])[0];
    return r === ACKED || (r === NOT_PENDING && retried);
  }

  async #flushAcks(): Promise<void> {
    const batch = this.#acks;
    this.#acks = [];
    const args: string[] = [this.key, this.group, this.consumer];
    for (const a of batch) args.push(a.id);
    let replies: number[];
    let retried: boolean;
    try {
      const [reply, again] = await this.#retrying("XACK", () => this.#client.run("XACK", (c) => runScript(c, ACK, args)));
      replies = reply as number[];
      retried = again;
    } catch (error) {
      // Disconnected: the entries stay pending in Redis and will be delivered again.
      for (const a of batch) this.#forget(a.id);
      for (const a of batch) a.reject(error);
      return;
    }
    for (const a of batch) this.#forget(a.id);
    for (let i = 0; i < batch.length; i++) {
      const r = replies[i];
      // NOT_PENDING after a retry: the first attempt landed but its reply was lost.
      (batch[i] as PendingAck).resolve(r === ACKED || (r === NOT_PENDING && retried));
    }
  }

  /**
   * Runs an idempotent command, retrying through connection losses until it
   * succeeds or the receiver is disconnected. Returns the reply and whether a
   * retry happened (an earlier attempt may then have taken effect).
   */
  async #retrying(command: string, attempt: () => Promise<unknown>): Promise<[unknown, boolean]> {
    for (let tries = 0; ; tries++) {
      if (this.#state === STOPPED) throw new ConnectionLostError(command, tries > 0, new Error("the receiver was disconnected"));
      try {
        return [await attempt(), tries > 0];
      } catch (error) {
        const typed = fromRedisError(command, error, true);
        if (!(typed instanceof ConnectionLostError)) throw typed;
        if (this.#state === STOPPED) throw typed;
        this.#onError(typed);
        await sleep(Math.min(50 * 2 ** tries, 2_000));
      }
    }
  }

  #forget(id: string): void {
    this.outstanding.delete(id);
    if (this.outstanding.size === 0 && this.#settledAll !== null) this.#settledAll();
  }

  // ---- The reader loop ----

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    let cursor = "0-0";
    let nextClaim = 0;
    let failures = 0;
    let groupReady = false;
    while (this.#state === RUNNING) {
      try {
        if (!groupReady) {
          await this.#createGroup();
          groupReady = true;
        }
        const now = Date.now();
        if (now >= nextClaim) {
          const args = [this.key, this.deadKey, this.group, this.consumer, this.#claimIdleMs, cursor, this.#prefetch, this.#maxDeliveries];
          const [next, claimed] = (await this.#client.run("XAUTOCLAIM", (c) => runScript(c, CLAIM, args))) as ClaimReply;
          cursor = next;
          // A full batch means more may be waiting: claim again next turn.
          nextClaim = claimed.length >= this.#prefetch ? now : now + this.#claimIntervalMs;
          for (const [id, payload, deliveries] of claimed) await this.#deliver(id, payload, deliveries, signal);
        }
        const room = Math.max(1, this.#prefetch - this.chan.len);
        const block = Math.max(1, Math.min(this.#blockMs, nextClaim - Date.now()));
        const reply = (await this.#reader.run("XREADGROUP", (c) =>
          c.xreadgroup("GROUP", this.group, this.consumer, "COUNT", room, "BLOCK", block, "STREAMS", this.key, ">"),
        )) as ReadReply;
        failures = 0;
        if (reply === null) {
          if ((await this.#client.run("XLEN", (c) => runScript(c, DRAINED, [this.key, this.#closedKey]))) === 1) break;
          continue;
        }
        for (const [, entries] of reply) {
          for (const [id, fields] of entries) await this.#deliver(id, fields[1] as string, 1, signal);
        }
      } catch (error) {
        if (this.#state !== RUNNING) break;
        if (error instanceof Error && error.message.startsWith("NOGROUP")) {
          // Redis lost the group (restarted without persistence): create it again.
          groupReady = false;
          continue;
        }
        this.#onError(fromRedisError("XREADGROUP", error, true));
        await sleep(Math.min(50 * 2 ** failures++, 2_000), signal).catch(() => undefined);
      }
    }
  }

  async #createGroup(): Promise<void> {
    try {
      // From the stream's start: entries added before any receiver existed are work too.
      await this.#client.run("XGROUP", (c) => c.xgroup("CREATE", this.key, this.group, "0", "MKSTREAM"));
    } catch (error) {
      if (!(error instanceof Error && error.message.startsWith("BUSYGROUP"))) throw error;
    }
  }

  /** Hands one entry to the channel (waiting for room), or buries it if it cannot be decoded. */
  async #deliver(id: string, payload: string, deliveries: number, signal: AbortSignal): Promise<void> {
    let value: T;
    try {
      value = this.#codec.decode(payload);
    } catch (error) {
      const args = [this.key, this.deadKey, this.group, this.consumer, id, payload, deliveries, `cannot decode: ${String(error)}`];
      await this.#client.run("XADD", (c) => runScript(c, BURY, args));
      this.#onError(new SerializationError(`entry ${id} of ${this.key}`, "the codec cannot decode it; moved to the dead-letter stream", error));
      return;
    }
    // Claimed back while still held here (our heartbeat could not reach Redis in
    // time): the delivery we hold settles it; a second one would be processed twice.
    if (this.outstanding.has(id)) return;
    const delivery = new Delivery<T>(this, id, value, deliveries);
    this.outstanding.set(id, delivery);
    try {
      await this.chan.send(delivery, signal);
    } catch {
      // Stopping while waiting for room: the entry was never handed out.
      await this.#release([id]).catch(() => undefined);
      this.#forget(id);
    }
  }

  /** Keeps outstanding entries from being claimed: their idle time restarts. Reports, never throws. */
  async #heartbeat(): Promise<void> {
    if (this.outstanding.size === 0 || this.#state === STOPPED) return;
    const args = [this.key, this.group, this.consumer, 0, ...this.outstanding.keys()];
    try {
      await this.#client.run("XCLAIM", (c) => runScript(c, TOUCH, args));
    } catch (error) {
      if (this.#state !== STOPPED) this.#onError(error);
    }
  }

  /** Makes entries this consumer owns claimable by anyone at once, without counting a delivery. */
  #release(ids: readonly string[]): Promise<unknown> {
    if (ids.length === 0) return Promise.resolve();
    const args = [this.key, this.group, this.consumer, this.#claimIdleMs, ...ids];
    return this.#client.run("XCLAIM", (c) => runScript(c, TOUCH, args));
  }

  // ---- Ending ----

  stop(): Promise<void> {
    if (this.#stopping === null) {
      if (this.#state === RUNNING) this.#state = STOPPING;
      this.#abort.abort(new Error("receiver stopped"));
      // The reader may be blocked in XREADGROUP: drop that connection; anything it
      // was about to receive stays pending for this consumer and is released below.
      this.#reader.disconnect();
      this.#stopping = this.done;
    }
    return this.#stopping;
  }

  async disconnect(): Promise<void> {
    this.#state = STOPPED;
    clearInterval(this.#beat);
    this.#abort.abort(new Error("receiver disconnected"));
    this.#reader.disconnect();
    this.#client.disconnect();
    // Unsettled deliveries stay pending in Redis; a stop() waiting for them gives up.
    this.outstanding.clear();
    if (this.#settledAll !== null) this.#settledAll();
    await this.done;
  }

  /** After the loop: return untaken entries, close the channel, wait for the taken ones, release leftovers, disconnect. */
  async #finish(): Promise<void> {
    const untaken: string[] = [];
    for (let r = this.chan.tryRecv(); r !== undefined && r.ok; r = this.chan.tryRecv()) untaken.push(r.value.id);
    if (!this.chan.closed) this.chan.close();
    if (this.#state !== STOPPED) {
      try {
        await this.#release(untaken);
      } catch (error) {
        this.#onError(fromRedisError("XCLAIM", error, true));
      }
      for (const id of untaken) this.#forget(id);
      if (this.outstanding.size > 0) {
        await new Promise<void>((resolve) => {
          this.#settledAll = resolve;
        });
      }
      await this.#releaseLeftovers().catch((error: unknown) => this.#onError(fromRedisError("XPENDING", error, true)));
    }
    this.#state = STOPPED;
    clearInterval(this.#beat);
    this.#reader.disconnect();
    await this.#client.quit();
  }

  /** Entries Redis assigned to this consumer whose read reply was cut off by stop(). */
  async #releaseLeftovers(): Promise<void> {
    const pending = (await this.#client.run("XPENDING", (c) => c.xpending(this.key, this.group, "-", "+", 1_000, this.consumer))) as [string, ...unknown[]][];
    await this.#release(pending.map((p) => p[0]));
  }
}
