/**
 * A value with transferables moved into it (MessagePorts, streams), held by
 * one owner until it is posted on or closed: shared by the pool's side
 * transfers (side-transfer.ts) and the channels' hub (port-hub.ts). Imports
 * nothing from Node, so the channel modules still load in browsers.
 *
 * @module
 */
import { checkMoved } from "./codec.js";
import { TransferError } from "./errors.js";

/** A transferable, as postMessage's transfer list takes it (Node's TransferListItem, without importing Node). */
export type Movable = object;

/** A value with the objects moved in it, held by one owner (see the invariants). */
export class SideValue {
  readonly value: unknown;
  readonly list: readonly Movable[];
  /** Posted away: no longer this thread's to discard. */
  sent = false;

  constructor(value: unknown, list: readonly Movable[]) {
    this.value = value;
    this.list = list;
  }

  /** Posts it, moved, to `port`; this thread owns it no more. */
  postTo(port: { postMessage(m: unknown, transfer: readonly never[]): void }, head: unknown[]): void {
    this.sent = true;
    port.postMessage([...head, this.value, this.list], this.list as readonly never[]);
  }
}

/**
 * Moves `value` and the objects of `list` into a {@link SideValue} owned by
 * this thread, or throws (UncloneableValueError, TransferError) having moved
 * nothing.
 */
export function take(value: unknown, list: readonly Movable[]): SideValue {
  checkMoved(value, list); // a class instance, a function, an unlisted port: named, before anything moves
  let moved: [unknown, Movable[]];
  try {
    moved = structuredClone([value, list], { transfer: list as Movable[] } as StructuredSerializeOptions) as [unknown, Movable[]];
  } catch (e) {
    throw new TransferError("transfer", e instanceof Error ? e.message : String(e));
  }
  return new SideValue(moved[0], moved[1]);
}

/** Closes what nobody owns any more (see the invariants). */
export function discard(side: SideValue): void {
  if (side.sent) return;
  side.sent = true;
  for (const x of side.list) {
    try {
      if (typeof MessagePort !== "undefined" && x instanceof MessagePort) x.close();
      else if (typeof ReadableStream !== "undefined" && x instanceof ReadableStream) void x.cancel().catch(ignore);
      else if (typeof WritableStream !== "undefined" && x instanceof WritableStream) void x.abort().catch(ignore);
    } catch {
      // closing what is already closed
    }
  }
}


function ignore(): void {}
