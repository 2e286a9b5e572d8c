/**
 * One abort listener per AbortSignal, however many parked operations use it.
 *
 * A request's signal is often handed to many operations at once (every receive
 * and select of a handler). A listener per operation would make Node print
 * MaxListenersExceededWarning past 10 and make every removal scan the signal's
 * listener list. Instead each signal in use has one {@link AbortList}, found
 * through a WeakMap, listening once; parked operations link into it and unlink
 * in O(1). The list stops listening as soon as it is empty, so a signal that
 * outlives its operations keeps nothing of them.
 *
 * @internal
 * @module
 */

// First statement: the module comment above attaches here, not to `Abortable`,
// which stripInternal would otherwise drop from the published declarations.
const lists = new WeakMap<AbortSignal, AbortList>();

/** A parked operation an AbortSignal can withdraw: a plain waiter or a select. */
export interface Abortable {
  /** The list this entry is linked into, or null. Managed here. */
  alist: AbortList | null;
  /** Managed here. */
  aprev: Abortable | null;
  /** Managed here. */
  anext: Abortable | null;
  /** The signal aborted. The entry is already unlinked from its list. */
  aborted(reason: unknown): void;
}

/** The parked operations listening to one signal, in the order they parked. */
class AbortList {
  head: Abortable | null = null;
  tail: Abortable | null = null;
  readonly signal: AbortSignal;

  constructor(signal: AbortSignal) {
    this.signal = signal;
  }

  /** The signal's one listener: withdraw every entry, oldest first. */
  handleEvent(): void {
    const reason = this.signal.reason;
    this.detach();
    // Unlink everything before any entry runs: an entry's rejection must find
    // the list already gone, whatever the entries then do.
    let a = this.head;
    this.head = this.tail = null;
    for (let e = a; e !== null; e = e.anext) e.alist = null;
    while (a !== null) {
      const next: Abortable | null = a.anext;
      a.aprev = a.anext = null;
      a.aborted(reason);
      a = next;
    }
  }

  detach(): void {
    this.signal.removeEventListener("abort", this);
    lists.delete(this.signal);
  }
}


/** Links `a` into `signal`'s list, adding the signal's listener if it is the first. */
export function listen(signal: AbortSignal, a: Abortable): void {
  let list = lists.get(signal);
  if (list === undefined) {
    list = new AbortList(signal);
    lists.set(signal, list);
    signal.addEventListener("abort", list);
  }
  a.alist = list;
  a.anext = null;
  a.aprev = list.tail;
  if (list.tail === null) list.head = a;
  else list.tail.anext = a;
  list.tail = a;
}

/** Unlinks `a` from its list in O(1); the last one out removes the listener. */
export function unlisten(a: Abortable): void {
  const list = a.alist;
  if (list === null) return;
  if (a.aprev === null) list.head = a.anext;
  else a.aprev.anext = a.anext;
  if (a.anext === null) list.tail = a.aprev;
  else a.anext.aprev = a.aprev;
  a.alist = a.aprev = a.anext = null;
  if (list.head === null) list.detach();
}
