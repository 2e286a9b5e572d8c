/**
 * Structured clone into bytes, written in plain JavaScript: what codec.ts uses
 * where Node's `v8.serialize` is not there (browsers and their Web Workers).
 * No browser API turns a value into bytes synchronously (`structuredClone`
 * returns a value, `postMessage` is asynchronous and a channel needs the bytes
 * under its lock), so this one does, for the types structured clone keeps and
 * codec.ts's check lets through.
 *
 * Invariants:
 * - It reproduces structured clone for what it accepts: plain objects (a null
 *   prototype comes back as Object.prototype), arrays (holes and named
 *   properties kept), Date, RegExp (source and flags; lastIndex reset, as
 *   structured clone does), Map, Set, ArrayBuffer, typed arrays and DataView,
 *   boxed primitives, bigint, and the standard Error classes (name, message,
 *   stack and cause). Shared references and cycles come back shared: every
 *   object gets an index the first time it is met, and later meetings write a
 *   back reference to it.
 * - Everything else is refused with UncloneableValueError naming where it is:
 *   views of a SharedArrayBuffer (structured clone would share the memory, a
 *   byte copy could not), and views of kinds it does not know (Float16Array).
 * - Encoding either returns the complete bytes or throws; it writes nothing
 *   anywhere else, so a refused value leaves no trace.
 *
 * @module
 */
import { UncloneableValueError } from "./errors.js";

const T_UNDEFINED = 0;
const T_NULL = 1;
const T_TRUE = 2;
const T_FALSE = 3;
const T_NUMBER = 4;
const T_STRING = 5;
const T_BIGINT = 6;
const T_REF = 7;
const T_OBJECT = 8;
const T_ARRAY = 9;
const T_DATE = 10;
const T_REGEXP = 11;
const T_MAP = 12;
const T_SET = 13;
const T_BUFFER = 14;
const T_VIEW = 15;
const T_BOXED_BOOLEAN = 16;
const T_BOXED_NUMBER = 17;
const T_BOXED_STRING = 18;
const T_BOXED_BIGINT = 19;
const T_ERROR = 20;

type ViewCtor = new (buffer: ArrayBuffer, byteOffset: number, length: number) => ArrayBufferView;

/** The views it knows, by the index written on the wire. */
const VIEWS: readonly (ViewCtor | undefined)[] = [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  typeof BigInt64Array === "undefined" ? undefined : BigInt64Array,
  typeof BigUint64Array === "undefined" ? undefined : BigUint64Array,
  DataView as unknown as ViewCtor,
];

const ERRORS: Readonly<Record<string, ErrorConstructor>> = {
  Error,
  EvalError,
  RangeError,
  ReferenceError,
  SyntaxError,
  TypeError,
  URIError,
};

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** A growable byte buffer being written. */
class Writer {
  bytes = new Uint8Array(64);
  view = new DataView(this.bytes.buffer);
  at = 0;
  readonly ids = new Map<object, number>();

  room(n: number): void {
    if (this.at + n <= this.bytes.length) return;
    const next = new Uint8Array(Math.max(2 * this.bytes.length, this.at + n));
    next.set(this.bytes.subarray(0, this.at));
    this.bytes = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.room(1);
    this.bytes[this.at++] = v;
  }

  u32(v: number): void {
    this.room(4);
    this.view.setUint32(this.at, v, true);
    this.at += 4;
  }

  f64(v: number): void {
    this.room(8);
    this.view.setFloat64(this.at, v, true);
    this.at += 8;
  }

  str(s: string): void {
    const b = utf8.encode(s);
    this.u32(b.length);
    this.raw(b);
  }

  raw(b: Uint8Array): void {
    this.room(b.length);
    this.bytes.set(b, this.at);
    this.at += b.length;
  }
}

/** The bytes of `value` (already checked by codec.ts), or UncloneableValueError naming what it refuses. */
export function portableSerialize(value: unknown): Uint8Array {
  const w = new Writer();
  write(w, value, "value");
  return w.bytes.slice(0, w.at);
}

function write(w: Writer, v: unknown, path: string): void {
  switch (typeof v) {
    case "undefined":
      return w.u8(T_UNDEFINED);
    case "boolean":
      return w.u8(v ? T_TRUE : T_FALSE);
    case "number":
      w.u8(T_NUMBER);
      return w.f64(v);
    case "string":
      w.u8(T_STRING);
      return w.str(v);
    case "bigint":
      w.u8(T_BIGINT);
      return w.str(v.toString());
    case "object":
      if (v === null) return w.u8(T_NULL);
      return writeObject(w, v, path);
    default:
      throw new UncloneableValueError(path, typeof v);
  }
}

function writeObject(w: Writer, o: object, path: string): void {
  const id = w.ids.get(o);
  if (id !== undefined) {
    w.u8(T_REF);
    return w.u32(id);
  }
  w.ids.set(o, w.ids.size);
  if (ArrayBuffer.isView(o)) return writeView(w, o, path);
  if (o instanceof ArrayBuffer) {
    w.u8(T_BUFFER);
    w.u32(o.byteLength);
    return w.raw(new Uint8Array(o));
  }
  if (Array.isArray(o)) {
    w.u8(T_ARRAY);
    w.u32(o.length);
    return writeProps(w, o, path, true);
  }
  if (o instanceof Date) {
    w.u8(T_DATE);
    return w.f64(o.getTime());
  }
  if (o instanceof RegExp) {
    w.u8(T_REGEXP);
    w.str(o.source);
    return w.str(o.flags);
  }
  if (o instanceof Map) {
    w.u8(T_MAP);
    w.u32(o.size);
    let i = 0;
    for (const [k, v] of o) {
      write(w, k, `${path}.keys()[${i}]`);
      write(w, v, `${path}.get(${i})`);
      i++;
    }
    return;
  }
  if (o instanceof Set) {
    w.u8(T_SET);
    w.u32(o.size);
    let i = 0;
    for (const v of o) write(w, v, `${path}.values()[${i++}]`);
    return;
  }
  if (o instanceof Error) return writeError(w, o, path);
  if (o instanceof Boolean) return w.u8(T_BOXED_BOOLEAN), w.u8(o.valueOf() ? 1 : 0);
  if (o instanceof Number) return w.u8(T_BOXED_NUMBER), w.f64(o.valueOf());
  if (o instanceof String) return w.u8(T_BOXED_STRING), w.str(o.valueOf());
  if (o instanceof BigInt) return w.u8(T_BOXED_BIGINT), w.str((o as { valueOf(): bigint }).valueOf().toString());
  w.u8(T_OBJECT);
  writeProps(w, o, path, false);
}

/** Own enumerable string keys with their values: an array's elements and named properties alike. */
function writeProps(w: Writer, o: object, path: string, array: boolean): void {
  const keys = Object.keys(o);
  w.u32(keys.length);
  for (const k of keys) {
    w.str(k);
    write(w, (o as Record<string, unknown>)[k], array ? `${path}[${k}]` : `${path}.${k}`);
  }
}

function writeView(w: Writer, v: ArrayBufferView, path: string): void {
  const kind = VIEWS.findIndex((c) => c !== undefined && v instanceof c);
  const name = (Object.getPrototypeOf(v) as { constructor?: { name?: string } }).constructor?.name ?? "view";
  if (kind < 0) throw new UncloneableValueError(path, `a ${name}, which this platform's codec does not encode`);
  if (typeof SharedArrayBuffer !== "undefined" && v.buffer instanceof SharedArrayBuffer) {
    throw new UncloneableValueError(path, `a ${name} over a SharedArrayBuffer: hand shared memory over with postMessage`);
  }
  w.u8(T_VIEW);
  w.u8(kind);
  w.u32(v.byteOffset);
  w.u32(v instanceof DataView ? v.byteLength : (v as Uint8Array).length);
  writeObject(w, v.buffer, `${path}.buffer`);
}

function writeError(w: Writer, e: Error, path: string): void {
  const name = Object.hasOwn(ERRORS, e.name) ? e.name : "Error";
  w.u8(T_ERROR);
  w.str(name);
  w.str(e.message);
  const stack = typeof e.stack === "string" ? e.stack : null;
  w.u8(stack === null ? 0 : 1);
  if (stack !== null) w.str(stack);
  const hasCause = Object.hasOwn(e, "cause");
  w.u8(hasCause ? 1 : 0);
  if (hasCause) write(w, e.cause, `${path}.cause`);
}

/** A byte buffer being read. */
class Reader {
  readonly view: DataView;
  at = 0;
  readonly objects: unknown[] = [];

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  u8(): number {
    return this.view.getUint8(this.at++);
  }

  u32(): number {
    const v = this.view.getUint32(this.at, true);
    this.at += 4;
    return v;
  }

  f64(): number {
    const v = this.view.getFloat64(this.at, true);
    this.at += 8;
    return v;
  }

  str(): string {
    const n = this.u32();
    const s = fromUtf8.decode(this.bytes.subarray(this.at, this.at + n));
    this.at += n;
    return s;
  }

  /** Registers a new object (before its children, so cycles resolve to it). */
  add<T>(o: T): T {
    this.objects.push(o);
    return o;
  }
}

/** The value `portableSerialize` encoded in `bytes` (which must not be shared memory). */
export function portableDeserialize(bytes: Uint8Array): unknown {
  return read(new Reader(bytes));
}

function read(r: Reader): unknown {
  const tag = r.u8();
  switch (tag) {
    case T_UNDEFINED:
      return undefined;
    case T_NULL:
      return null;
    case T_TRUE:
      return true;
    case T_FALSE:
      return false;
    case T_NUMBER:
      return r.f64();
    case T_STRING:
      return r.str();
    case T_BIGINT:
      return BigInt(r.str());
    case T_REF:
      return r.objects[r.u32()];
    case T_OBJECT:
      return readProps(r, r.add<Record<string, unknown>>({}));
    case T_ARRAY:
      return readProps(r, r.add<unknown[]>(new Array<unknown>(r.u32())));
    case T_DATE:
      return r.add(new Date(r.f64()));
    case T_REGEXP: {
      const source = r.str();
      return r.add(new RegExp(source, r.str()));
    }
    case T_MAP: {
      const m = r.add(new Map<unknown, unknown>());
      for (let n = r.u32(); n > 0; n--) {
        const k = read(r);
        m.set(k, read(r));
      }
      return m;
    }
    case T_SET: {
      const s = r.add(new Set<unknown>());
      for (let n = r.u32(); n > 0; n--) s.add(read(r));
      return s;
    }
    case T_BUFFER: {
      const n = r.u32();
      const b = r.bytes.slice(r.at, r.at + n).buffer;
      r.at += n;
      return r.add(b);
    }
    case T_VIEW:
      return readView(r);
    case T_BOXED_BOOLEAN:
      return r.add(Object(r.u8() === 1) as object);
    case T_BOXED_NUMBER:
      return r.add(Object(r.f64()) as object);
    case T_BOXED_STRING:
      return r.add(Object(r.str()) as object);
    case T_BOXED_BIGINT:
      return r.add(Object(BigInt(r.str())) as object);
    case T_ERROR:
      return readError(r);
    default:
      throw new TypeError(`corrupt shared channel value: tag ${tag}`);
  }
}

function readProps<T extends object>(r: Reader, o: T): T {
  for (let n = r.u32(); n > 0; n--) {
    const k = r.str();
    // An own "__proto__" key is data, not the prototype (as structured clone keeps it).
    if (k === "__proto__") Object.defineProperty(o, k, { value: read(r), writable: true, enumerable: true, configurable: true });
    else (o as Record<string, unknown>)[k] = read(r);
  }
  return o;
}

function readView(r: Reader): ArrayBufferView {
  const id = r.objects.length;
  r.objects.push(null); // the view's index comes before its buffer's, as written
  const ctor = VIEWS[r.u8()] as ViewCtor;
  const offset = r.u32();
  const length = r.u32();
  const view = new ctor(read(r) as ArrayBuffer, offset, length);
  r.objects[id] = view;
  return view;
}

function readError(r: Reader): Error {
  const ctor = ERRORS[r.str()] ?? Error;
  const e = r.add(new ctor(r.str()));
  if (r.u8() === 1) Object.defineProperty(e, "stack", { value: r.str(), writable: true, configurable: true, enumerable: false });
  else delete (e as { stack?: string }).stack;
  if (r.u8() === 1) Object.defineProperty(e, "cause", { value: read(r), writable: true, configurable: true, enumerable: false });
  return e;
}
