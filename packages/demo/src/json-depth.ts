/**
 * The nesting depth of a JSON text, measured on its UTF-8 bytes in one
 * iterative pass (no recursion, so no input can overflow the stack), before it
 * is parsed. A body nested thousands of levels deep parses fine but overflows
 * `JSON.stringify` in the sink later: it must be refused before it is
 * acknowledged.
 *
 * @module
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * Whether the arrays and objects in `bytes` nest deeper than `limit` (the
 * outermost value is level 1). Brackets inside strings do not count. For
 * malformed JSON the answer is about its brackets; the parse that follows
 * refuses it anyway.
 *
 * @example
 * ```ts
 * nestedDeeperThan(Buffer.from('{"a":[[1]]}'), 2); // true: depth 3
 * nestedDeeperThan(Buffer.from('{"a":"[[[["}'), 2); // false: depth 1
 * ```
 */
export function nestedDeeperThan(bytes: Uint8Array, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (inString) {
      if (b === BACKSLASH) i++; // the escaped byte is never a closing quote
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) {
      inString = true;
    } else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
      if (++depth > limit) return true;
    } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}
