/**
 * The thread's side of a streamed job (`pool.stream`): the job function's
 * iterable is pumped into the stream's SharedChan, one value at a time, each
 * send awaited, so a full channel parks the job (backpressure) and a closed
 * one (the consumer stopped early) ends it: the iterator's `return()` runs
 * (its `finally` blocks) and the job resolves. The job reports only after its
 * last send completed, so every value it sent is in the channel before the
 * pool learns the job is done.
 *
 * A value yielded with `transfer(value, list)` is sent with that list, so its
 * ArrayBuffers and MessagePorts move to the consumer (a port not listed fails
 * the job, as a send does).
 *
 * The channel's handle holds SharedArrayBuffers, which only postMessage can
 * carry: the job arrives with a token naming its stream, and the thread asks
 * the pool for that stream's handle over its port.
 *
 * @module
 */
import { SendOnClosedError } from "@gochan/core";
import { parentPort } from "node:worker_threads";
import { SharedChan } from "./shared-chan.js";
import { marked } from "./transfer.js";

/** The key of the token a stream job carries as its last argument. @internal */
export const STREAM_TOKEN = "@gochan/threads.stream";
/** Messages: a thread asks for a stream's handle, the pool answers (null: the consumer is gone). @internal */
export const STREAM_ASK = "@gochan/threads.stream-ask";
export const STREAM_ANSWER = "@gochan/threads.stream-answer";

const asked = new Map<number, (handle: unknown) => void>();

function onAnswer(m: unknown): void {
  if (!Array.isArray(m) || m[0] !== STREAM_ANSWER) return;
  const resolve = asked.get(m[1] as number);
  if (resolve === undefined) return;
  asked.delete(m[1] as number);
  if (asked.size === 0) parentPort?.off("message", onAnswer); // an idle thread must be free to exit
  resolve(m[2]);
}

function ask(id: number): Promise<unknown> {
  return new Promise((resolve) => {
    if (asked.size === 0) parentPort?.on("message", onAnswer);
    asked.set(id, resolve);
    parentPort?.postMessage([STREAM_ASK, id]);
  });
}

/**
 * The stream id of a job whose last argument is a stream token (removing
 * it), else -1. @internal
 */
export function takeStream(args: unknown[]): number {
  const last = args[args.length - 1];
  if (typeof last !== "object" || last === null || !(STREAM_TOKEN in last)) return -1;
  args.pop();
  return (last as Record<string, number>)[STREAM_TOKEN]!;
}

/** Pumps what a stream job returned into its channel; resolves with the count sent. @internal */
export async function pumpStream(fn: string, result: unknown, id: number): Promise<number> {
  const source = await result;
  const it = iterate(fn, source);
  let done = false;
  try {
    const handle = await ask(id);
    if (handle === null) return 0; // the consumer stopped before the job started
    const ch = SharedChan.from<unknown>(handle);
    let n = 0;
    for (;;) {
      const r = await it.next();
      if (r.done === true) {
        done = true;
        return n;
      }
      // A value yielded with transfer() moves its list (ports wait with the
      // hub until the consumer takes the value: port-hub.ts).
      const t = marked(r.value);
      try {
        await (t === null ? ch.send(r.value) : ch.send(t.value, { transfer: t.list }));
      } catch (e) {
        if (e instanceof SendOnClosedError) return n; // the consumer stopped: not an error
        throw e;
      }
      n++;
    }
  } finally {
    if (!done) await it.return?.();
  }
}

function iterate(fn: string, source: unknown): Iterator<unknown> | AsyncIterator<unknown> {
  if (typeof source === "object" && source !== null) {
    const s = source as Partial<AsyncIterable<unknown> & Iterable<unknown>>;
    const asyncIt = s[Symbol.asyncIterator];
    if (typeof asyncIt === "function") return asyncIt.call(s);
    const it = s[Symbol.iterator];
    if (typeof it === "function") return it.call(s);
  }
  throw new TypeError(`stream: job "${fn}" must return an iterable or async iterable (a generator), got ${source === null ? "null" : typeof source}`);
}
