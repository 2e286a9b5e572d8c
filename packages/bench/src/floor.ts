/**
 * The floor: the least a promise-based channel hand-off can cost. A queue of
 * waiting receivers' resolvers, a queue of waiting senders, an optional buffer;
 * no close, no select, no abort, no fairness. Every channel target is a ratio
 * against this.
 *
 * @module
 */
const RESOLVED: Promise<void> = Promise.resolve();

export class FloorChan<T> {
  private readonly buf: T[] = [];
  private readonly receivers: ((value: T) => void)[] = [];
  private readonly senders: { value: T; resolve: () => void }[] = [];

  constructor(private readonly capacity = 0) {}

  send(value: T): Promise<void> {
    const receiver = this.receivers.shift();
    if (receiver !== undefined) {
      receiver(value);
      return RESOLVED;
    }
    if (this.buf.length < this.capacity) {
      this.buf.push(value);
      return RESOLVED;
    }
    return new Promise<void>((resolve) => this.senders.push({ value, resolve }));
  }

  recv(): Promise<T> {
    const sender = this.senders.shift();
    if (this.buf.length > 0) {
      const value = this.buf.shift() as T;
      if (sender !== undefined) {
        this.buf.push(sender.value);
        sender.resolve();
      }
      return Promise.resolve(value);
    }
    if (sender !== undefined) {
      sender.resolve();
      return Promise.resolve(sender.value);
    }
    return new Promise<T>((resolve) => this.receivers.push(resolve));
  }
}
