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
  /**
   * Its link in the abort list of the signal it listens to, or null. Managed
   * here; a separate object, so an operation without a signal (most of them)
   * pays one field, not three.
   */
  alink: AbortLink | null;
  /** The signal aborted. The entry is already unlinked from its list. */
  aborted(reason: unknown): void;
}

/** One listening operation's place in its signal's list. */
class AbortLink {
  prev: AbortLink | null;
  next: AbortLink | null = null;

  constructor(
    readonly list: AbortList,
    readonly owner: Abortable,
  ) {
    this.prev = list.tail;
  }
}

/** The parked operations listening to one signal, in the order they parked. */
class AbortList {
  head: AbortLink | null = null;
  tail: AbortLink | null = null;
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
    let l = this.head;
    this.head = this.tail = null;
    for (let e = l; e !== null; e = e.next) e.owner.alink = null;
    while (l !== null) {
      const next: AbortLink | null = l.next;
      l.prev = l.next = null;
      l.owner.aborted(reason);
      l = next;
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
  const l = new AbortLink(list, a);
  a.alink = l;
  if (list.tail === null) list.head = l;
  else list.tail.next = l;
  list.tail = l;
}

/** Unlinks `a` from its list in O(1); the last one out removes the listener. */
export function unlisten(a: Abortable): void {
  const l = a.alink;
  if (l === null) return;
  const list = l.list;
  if (l.prev === null) list.head = l.next;
  else l.prev.next = l.next;
  if (l.next === null) list.tail = l.prev;
  else l.next.prev = l.prev;
  l.prev = l.next = null;
  a.alink = null;
  if (list.head === null) list.detach();
}
