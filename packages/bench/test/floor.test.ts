// The floor is the yardstick of every channel target, so it must be a correct
// channel for what it does: FIFO hand-off, a buffer of `capacity`, senders
// blocking when it is full, receivers when it is empty. Checked against a
// reference model with fc.commands.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FloorChan } from "../src/floor.ts";

/** One macrotask turn: every promise reaction queued so far has run. */
function macrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The reference: Go's channel semantics reduced to what the floor does. */
interface Model {
  capacity: number;
  buf: number[];
  /** Values of blocked senders, oldest first. */
  sendq: number[];
  /** Blocked receivers. */
  waitingReceivers: number;
  /** Values delivered to receivers, in order. */
  received: number[];
  /** Sends that have completed. */
  sent: number;
}

interface Real {
  ch: FloorChan<number>;
  received: number[];
  sent: number;
}

class SendCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly value: number) {}
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    void r.ch.send(this.value).then(() => {
      r.sent++;
    });
    if (m.waitingReceivers > 0) {
      m.waitingReceivers--;
      m.received.push(this.value);
      m.sent++;
    } else if (m.buf.length < m.capacity) {
      m.buf.push(this.value);
      m.sent++;
    } else {
      m.sendq.push(this.value);
    }
    await macrotask();
    expect(r.received).toEqual(m.received);
    expect(r.sent).toBe(m.sent);
  }
  toString(): string {
    return `send(${this.value})`;
  }
}

class RecvCommand implements fc.AsyncCommand<Model, Real> {
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    void r.ch.recv().then((v) => {
      r.received.push(v);
    });
    if (m.buf.length > 0) {
      m.received.push(m.buf.shift() as number);
      if (m.sendq.length > 0) {
        m.buf.push(m.sendq.shift() as number);
        m.sent++;
      }
    } else if (m.sendq.length > 0) {
      m.received.push(m.sendq.shift() as number);
      m.sent++;
    } else {
      m.waitingReceivers++;
    }
    await macrotask();
    expect(r.received).toEqual(m.received);
    expect(r.sent).toBe(m.sent);
  }
  toString(): string {
    return "recv()";
  }
}

describe("FloorChan", () => {
  it("behaves like the reference channel for any capacity and any sequence of sends and receives", async () => {
    const commands = [fc.integer({ min: 0, max: 999 }).map((v) => new SendCommand(v)), fc.constant(new RecvCommand())];
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 4 }), fc.commands(commands, { maxCommands: 40 }), async (capacity, cmds) => {
        const model: Model = { capacity, buf: [], sendq: [], waitingReceivers: 0, received: [], sent: 0 };
        const real: Real = { ch: new FloorChan<number>(capacity), received: [], sent: 0 };
        await fc.asyncModelRun(() => ({ model, real }), cmds);
        // Drain what is left so no promise stays pending: receive every value
        // still held, then release every blocked receiver with a send.
        const held = model.buf.length + model.sendq.length;
        for (let i = 0; i < held; i++) void real.ch.recv().then((v) => real.received.push(v));
        for (let i = 0; i < model.waitingReceivers; i++) void real.ch.send(-1);
        await macrotask();
        expect(real.received).toHaveLength(model.received.length + held + model.waitingReceivers);
      }),
      { seed: 20240611, numRuns: 150 },
    );
  });

  it("moves 0..n-1 in order from one producer to one consumer, unbuffered and buffered", async () => {
    for (const capacity of [0, 1, 128]) {
      const ch = new FloorChan<number>(capacity);
      const got: number[] = [];
      const consumer = (async () => {
        for (let i = 0; i < 1000; i++) got.push(await ch.recv());
      })();
      for (let i = 0; i < 1000; i++) await ch.send(i);
      await consumer;
      expect(got).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    }
  });
});
