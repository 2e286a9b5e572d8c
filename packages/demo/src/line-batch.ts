/**
 * Lines waiting for, or being written in, one durable write, and the promise
 * every writer of those lines waits on: the group commit shared by the fs
 * sink (one object per batch) and the dead-letter file (one append per batch).
 *
 * @module
 */

/** Lines collected for one write; `done` settles when that write has. */
export class LineBatch {
  readonly lines: string[] = [];
  readonly done: Promise<void>;
  resolve!: () => void;
  reject!: (error: unknown) => void;

  constructor() {
    this.done = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
}
