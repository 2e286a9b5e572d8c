/**
 * How a value crosses threads: encoded into bytes before any lock is taken (so
 * a value that cannot cross is refused synchronously, nothing half-written),
 * copied into the channel's shared ring under its lock, decoded by the thread
 * that receives it. Numbers, strings, booleans, null and undefined have a
 * compact encoding of their own (the common case stays cheap); everything else
 * goes through Node's `v8.serialize`, which implements the structured clone
 * algorithm.
 *
 * Structured clone would silently turn a class instance into a plain object
 * (losing its prototype and private fields) and drop nothing else visibly, so
 * the encoder walks objects first and refuses anything whose prototype is not
 * one structured clone reproduces.
 *
 * @module
 */
import { deserialize, serialize } from "node:v8";
import { UncloneableValueError } from "./errors.js";

export const TAG_UNDEFINED = 0;
export const TAG_NULL = 1;
export const TAG_TRUE = 2;
export const TAG_FALSE = 3;
export const TAG_NUMBER = 4;
export const TAG_STRING = 5;
export const TAG_V8 = 6;

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
  if (typeof value === "object") check(value, "value", new Set());
  let bytes: Uint8Array;
  try {
    bytes = serialize(value);
  } catch (e) {
    throw new UncloneableValueError("value", e instanceof Error ? e.message : String(e));
  }
  return { tag: TAG_V8, num: 0, bytes, size: 1 + bytes.length };
}

/** Writes `e` at `offset` of the shared bytes (which must have e.size bytes free there). */
export function writeEncoded(u8: Uint8Array, view: DataView, offset: number, e: Encoded): void {
  u8[offset] = e.tag;
  if (e.tag === TAG_NUMBER) view.setFloat64(offset + 1, e.num, true);
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
    case TAG_STRING:
      // TextDecoder refuses views of shared memory: copy first.
      return decoder.decode(u8.slice(offset + 1, offset + size));
    default:
      return deserialize(u8.slice(offset + 1, offset + size));
  }
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
