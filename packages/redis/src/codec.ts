/**
 * Codecs: how a value becomes a stream entry's payload and back. Serialization
 * is explicit: nothing is sent that would not come back as it was sent.
 *
 * @module
 */
import { SerializationError } from "./errors.js";

/**
 * Turns values into strings stored in a stream entry, and back. `encode` throws
 * {@link SerializationError} for a value it cannot represent; `decode` throws
 * (anything) for an entry it cannot read, which sends that entry to the
 * dead-letter stream instead of delivering it.
 *
 * @typeParam T - the values carried by the stream.
 *
 * @example
 * ```ts
 * import type { Codec } from "@gochan/redis";
 * const dates: Codec<Date> = {
 *   encode: (d) => d.toISOString(),
 *   decode: (s) => new Date(s),
 * };
 * ```
 */
export interface Codec<T> {
  /** Encodes a value; throws {@link SerializationError} if it cannot. */
  encode(value: T): string;
  /** Decodes what {@link Codec.encode} produced. */
  decode(data: string): T;
}

/**
 * The default codec: JSON, strict. It refuses (with {@link SerializationError}
 * naming the path) every value JSON would silently change: functions, symbols,
 * bigints, `undefined` as a whole value or array element, NaN and infinities,
 * objects that are not plain (Date, Map, Set, class instances, ...), and cycles.
 * An object property whose value is `undefined` is dropped, as an absent
 * optional property.
 *
 * @typeParam T - the values carried by the stream.
 *
 * @example
 * ```ts
 * import { jsonCodec } from "@gochan/redis";
 * const codec = jsonCodec<{ id: string; n: number }>();
 * console.log(codec.decode(codec.encode({ id: "a", n: 1 })).n); // 1
 * ```
 */
export function jsonCodec<T>(): Codec<T> {
  return JSON_CODEC as Codec<T>;
}

const JSON_CODEC: Codec<unknown> = {
  encode(value: unknown): string {
    check(value, "value", new Set<object>(), false);
    return JSON.stringify(value);
  },
  decode(data: string): unknown {
    return JSON.parse(data) as unknown;
  },
};

function check(value: unknown, path: string, seen: Set<object>, inObject: boolean): void {
  switch (typeof value) {
    case "string":
    case "boolean":
      return;
    case "number":
      if (!Number.isFinite(value)) throw new SerializationError(path, `${value} is not a finite number (JSON would make it null)`);
      return;
    case "undefined":
      if (inObject) return;
      throw new SerializationError(path, "undefined has no JSON form");
    case "object":
      break;
    default:
      throw new SerializationError(path, `a ${typeof value} has no JSON form`);
  }
  if (value === null) return;
  if (seen.has(value)) throw new SerializationError(path, "the value contains a cycle");
  seen.add(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) check(value[i], `${path}[${i}]`, seen, false);
  } else {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      const name = (value as { constructor?: { name?: string } }).constructor?.name ?? "unknown";
      throw new SerializationError(path, `a ${name} is not a plain object (JSON would not give it back); convert it first or pass a codec`);
    }
    for (const key of Object.keys(value)) check((value as Record<string, unknown>)[key], `${path}.${key}`, seen, true);
  }
  seen.delete(value);
}
