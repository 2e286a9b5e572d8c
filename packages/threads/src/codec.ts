/**
 * How a value crosses threads: encoded into bytes before any lock is taken (so
 * a value that cannot cross is refused synchronously, nothing half-written),
 * copied into the channel's shared ring under its lock, decoded by the thread
 * that receives it. Numbers, strings, booleans, null and undefined have a
 * compact encoding of their own (the common case stays cheap); everything else
 * goes through Node's `v8.serialize`, which implements the structured clone
 * algorithm, or, where there is no `node:v8` (browsers, Web Workers), through
 * portable-codec.ts, which reproduces structured clone for the types listed
 * there and refuses the rest by name. `node:v8` is looked up with
 * `process.getBuiltinModule` at load time, not imported, so this module graph
 * loads in a browser unchanged; every thread of one program finds the same
 * answer, so the two encodings never meet.
 *
 * Structured clone would silently turn a class instance into a plain object
 * (losing its prototype and private fields) and drop nothing else visibly, so
 * the encoder walks objects first and refuses anything whose prototype is not
 * one structured clone reproduces.
 *
 * @module
 */
import { UncloneableValueError } from "./errors.js";
import { portableDeserialize, portableSerialize } from "./portable-codec.js";

/** Node's structured clone to bytes, or null where this is not Node (or a Node-compatible runtime). */
const v8 = (
  globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }
).process?.getBuiltinModule?.("node:v8") as { serialize(v: unknown): Uint8Array; deserialize(b: Uint8Array): unknown } | undefined;
const serialize = v8 === undefined ? portableSerialize : (v: unknown): Uint8Array => v8.serialize(v);

export const TAG_UNDEFINED = 0;
export const TAG_NULL = 1;
export const TAG_TRUE = 2;
export const TAG_FALSE = 3;
export const TAG_NUMBER = 4;
export const TAG_STRING = 5;
export const TAG_V8 = 6;
/** An array of primitives and such arrays (job envelopes and reports): encoded here, not by v8. */
export const TAG_ARRAY = 7;
/** A value in portable-codec.ts's encoding (where there is no `node:v8`). */
export const TAG_PORTABLE = 8;
/** A ticket for a value whose MessagePorts wait in the main thread's hub (port-hub.ts); `num` is its key. */
export const TAG_SIDE = 9;

/** Turns a ticket's key into what the receiver gets (set by port-hub.ts, which claims the value). */
let readTicket: (key: number) => unknown = (key) => {
  throw new Error(`@gochan/threads: internal error: ticket ${key} read with no hub loaded`);
};

/** @internal */
export function setTicketReader(f: (key: number) => unknown): void {
  readTicket = f;
}

/** An encoded value: a tag, plus a number or bytes. Reused by the caller where it can. */
export interface Encoded {
  tag: number;
  num: number;
  bytes: Uint8Array | null;
  /** Payload size in bytes, tag byte included. */
  size: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Encodes `value`, or throws UncloneableValueError naming the offending part. */
export function encode(value: unknown): Encoded {
  switch (typeof value) {
    case "undefined":
      return { tag: TAG_UNDEFINED, num: 0, bytes: null, size: 1 };
    case "boolean":
      return { tag: value ? TAG_TRUE : TAG_FALSE, num: 0, bytes: null, size: 1 };
    case "number":
      return { tag: TAG_NUMBER, num: value, bytes: null, size: 9 };
    case "string": {
      const bytes = encoder.encode(value);
      return { tag: TAG_STRING, num: 0, bytes, size: 1 + bytes.length };
    }
    case "function":
    case "symbol":
      throw new UncloneableValueError("value", describe(value));
    default:
      break;
  }
  if (value === null) return { tag: TAG_NULL, num: 0, bytes: null, size: 1 };
  if (Array.isArray(value) && Object.getPrototypeOf(value) === Array.prototype) {
    const bytes = encodeArray(value, 0);
    if (bytes !== null) return { tag: TAG_ARRAY, num: 0, bytes, size: 1 + bytes.length };
  }
  if (typeof value === "object") check(value, "value", new Set());
  let bytes: Uint8Array;
  try {
    bytes = serialize(value);
  } catch (e) {
    if (e instanceof UncloneableValueError) throw e;
    throw new UncloneableValueError("value", e instanceof Error ? e.message : String(e));
  }
  return { tag: v8 === undefined ? TAG_PORTABLE : TAG_V8, num: 0, bytes, size: 1 + bytes.length };
}

/**
 * Refuses, naming it, what `value` holds that structured clone would refuse or
 * silently change, the objects of `moved` (a transfer list: MessagePorts and
 * the like) allowed. For side-transfer.ts, which moves such values by
 * postMessage. @internal
 */
export function checkMoved(value: unknown, moved: readonly unknown[]): void {
  const seen = new Set<object>();
  for (const m of moved) if (typeof m === "object" && m !== null) seen.add(m);
  visit(value, "value", seen);
}

/** Writes `e` at `offset` of the shared bytes (which must have e.size bytes free there). */
export function writeEncoded(u8: Uint8Array, view: DataView, offset: number, e: Encoded): void {
  u8[offset] = e.tag;
  if (e.tag === TAG_NUMBER || e.tag === TAG_SIDE) view.setFloat64(offset + 1, e.num, true);
  else if (e.bytes !== null) u8.set(e.bytes, offset + 1);
}

/** Decodes the `size` payload bytes at `offset` (copying them out of shared memory). */
export function decode(u8: Uint8Array, view: DataView, offset: number, size: number): unknown {
  switch (u8[offset]) {
    case TAG_UNDEFINED:
      return undefined;
    case TAG_NULL:
      return null;
    case TAG_TRUE:
      return true;
    case TAG_FALSE:
      return false;
    case TAG_NUMBER:
      return view.getFloat64(offset + 1, true);
    case TAG_SIDE:
      return readTicket(view.getFloat64(offset + 1, true));
    case TAG_STRING:
      // TextDecoder refuses views of shared memory: copy first.
      return decoder.decode(u8.slice(offset + 1, offset + size));
    case TAG_ARRAY:
      // Read in place: a copy would be an ArrayBuffer per value, with backing
      // memory outside the heap that V8 tracks and sweeps on its own threads.
      reader.view = view;
      reader.bytes = u8;
      reader.at = offset + 1;
      try {
        return readArray();
      } finally {
        reader.view = NO_VIEW; // keeps no shared memory alive
        reader.bytes = EMPTY;
      }
    case TAG_PORTABLE:
      return portableDeserialize(u8.slice(offset + 1, offset + size));
    default:
      return (v8 as NonNullable<typeof v8>).deserialize(u8.slice(offset + 1, offset + size));
  }
}

// ---- The array encoding: [count u32] then per element [tag u8][payload] ----

let scratch = new DataView(new ArrayBuffer(256));
let scratchBytes = new Uint8Array(scratch.buffer);
let at = 0;

function room(n: number): void {
  if (at + n <= scratch.byteLength) return;
  const next = new DataView(new ArrayBuffer(Math.max(2 * scratch.byteLength, at + n)));
  new Uint8Array(next.buffer).set(new Uint8Array(scratch.buffer, 0, at));
  scratch = next;
}

/** The encoding of a dense array of primitives (nested up to 4 deep), or null if it has anything else. */
function encodeArray(a: unknown[], depth: number): Uint8Array | null {
  if (depth === 0) at = 0;
  if (depth > 4) return null;
  // Holes and named properties are structured clone's business (it keeps both).
  if (Object.keys(a).length !== a.length) return null;
  room(4);
  scratch.setUint32(at, a.length, true);
  at += 4;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    room(9);
    switch (typeof v) {
      case "number":
        scratch.setUint8(at, TAG_NUMBER);
        scratch.setFloat64(at + 1, v, true);
        at += 9;
        break;
      case "string": {
        const b = encoder.encode(v);
        room(5 + b.length);
        scratch.setUint8(at, TAG_STRING);
        scratch.setUint32(at + 1, b.length, true);
        new Uint8Array(scratch.buffer, at + 5, b.length).set(b);
        at += 5 + b.length;
        break;
      }
      case "boolean":
        scratch.setUint8(at++, v ? TAG_TRUE : TAG_FALSE);
        break;
      case "undefined":
        scratch.setUint8(at++, TAG_UNDEFINED);
        break;
      case "object":
        if (v === null) {
          scratch.setUint8(at++, TAG_NULL);
          break;
        }
        if (!Array.isArray(v) || Object.getPrototypeOf(v) !== Array.prototype) return null;
        scratch.setUint8(at++, TAG_ARRAY);
        if (encodeArray(v, depth + 1) === null) return null;
        break;
      default:
        return null;
    }
  }
  return depth === 0 ? copyOut(at) : EMPTY;
}

/**
 * The first `n` scratch bytes in a fresh array. Small typed arrays live on the
 * JS heap; `ArrayBuffer.prototype.slice` would allocate backing memory outside
 * it for each value (measured ~5 us per small array on a loaded machine,
 * against ~0.2 us).
 */
function copyOut(n: number): Uint8Array {
  const out = new Uint8Array(n);
  if (scratchBytes.buffer !== scratch.buffer) scratchBytes = new Uint8Array(scratch.buffer);
  if (n <= 64) for (let i = 0; i < n; i++) out[i] = scratchBytes[i]!;
  else out.set(scratchBytes.subarray(0, n));
  return out;
}

const EMPTY = new Uint8Array(0);
/** Where readArray reads: the bytes (shared memory or not) and the position. */
const NO_VIEW: DataView = new DataView(new ArrayBuffer(0));
const reader: { view: DataView; bytes: Uint8Array; at: number } = { view: NO_VIEW, bytes: EMPTY, at: 0 };

function readArray(): unknown[] {
  const r = reader;
  const n = r.view.getUint32(r.at, true);
  r.at += 4;
  const out = new Array<unknown>(n);
  for (let i = 0; i < n; i++) {
    const tag = r.view.getUint8(r.at++);
    switch (tag) {
      case TAG_NUMBER:
        out[i] = r.view.getFloat64(r.at, true);
        r.at += 8;
        break;
      case TAG_STRING: {
        const len = r.view.getUint32(r.at, true);
        // TextDecoder refuses views of shared memory: copy (only) the string's bytes.
        out[i] = decoder.decode(r.bytes.slice(r.at + 4, r.at + 4 + len));
        r.at += 4 + len;
        break;
      }
      case TAG_TRUE:
        out[i] = true;
        break;
      case TAG_FALSE:
        out[i] = false;
        break;
      case TAG_NULL:
        out[i] = null;
        break;
      case TAG_UNDEFINED:
        out[i] = undefined;
        break;
      default:
        out[i] = readArray();
    }
  }
  return out;
}

const CLONEABLE_PROTOTYPES: ReadonlySet<unknown> = new Set<unknown>([
  Object.prototype,
  null,
  Array.prototype,
  Date.prototype,
  RegExp.prototype,
  Map.prototype,
  Set.prototype,
  ArrayBuffer.prototype,
  DataView.prototype,
  Boolean.prototype,
  Number.prototype,
  String.prototype,
  BigInt.prototype,
  Error.prototype,
  EvalError.prototype,
  RangeError.prototype,
  ReferenceError.prototype,
  SyntaxError.prototype,
  TypeError.prototype,
  URIError.prototype,
]);

/** Refuses what structured clone would refuse or silently change, naming where it is. */
function check(value: object, path: string, seen: Set<object>): void {
  if (seen.has(value)) return;
  seen.add(value);
  if (ArrayBuffer.isView(value)) return;
  const proto: unknown = Object.getPrototypeOf(value);
  if (!CLONEABLE_PROTOTYPES.has(proto)) {
    if (typeof SharedArrayBuffer !== "undefined" && value instanceof SharedArrayBuffer) {
      throw new UncloneableValueError(path, "a SharedArrayBuffer: hand shared memory over with postMessage or workerData");
    }
    throw new UncloneableValueError(path, describe(value));
  }
  if (value instanceof Map) {
    let i = 0;
    for (const [k, v] of value) {
      visit(k, `${path}.keys()[${i}]`, seen);
      visit(v, `${path}.get(${i})`, seen);
      i++;
    }
    return;
  }
  if (value instanceof Set) {
    let i = 0;
    for (const v of value) visit(v, `${path}.values()[${i++}]`, seen);
    return;
  }
  for (const key of Object.keys(value)) {
    visit((value as Record<string, unknown>)[key], Array.isArray(value) ? `${path}[${key}]` : `${path}.${key}`, seen);
  }
}

function visit(v: unknown, path: string, seen: Set<object>): void {
  if (typeof v === "function" || typeof v === "symbol") throw new UncloneableValueError(path, describe(v));
  if (typeof v === "object" && v !== null) check(v, path, seen);
}

function describe(v: unknown): string {
  if (typeof v === "function") return `function ${v.name || "(anonymous)"}`;
  if (typeof v === "symbol") return `symbol ${v.description ?? ""}`.trim();
  if (typeof v === "object" && v !== null) {
    const ctor = (Object.getPrototypeOf(v) as { constructor?: { name?: string } } | null)?.constructor?.name;
    return ctor ? `an instance of class ${ctor}` : "an object with a foreign prototype";
  }
  return typeof v;
}
