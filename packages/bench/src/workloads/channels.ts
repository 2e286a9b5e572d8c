/**
 * Channel hand-off workloads: unbuffered one-way, unbuffered ping-pong, buffered
 * (capacity 128) one producer and one consumer, and the cost of @gochan/core's
 * event-loop fairness policy. Every peer is written as its own users write it:
 * `await` each send and each receive.
 *
 * @module
 */
import type * as Core from "@gochan/core";
import type * as TsChan from "ts-chan";
import type * as Csp from "@thi.ng/csp";
import { load, runIfMain, timed, triangle } from "../child.ts";
import { FloorChan } from "../floor.ts";
import { CLOSE_RATIO_RUNS, type Family, type Measurement, type Peer, type Unit } from "../spec.ts";

/** The capacity of the buffered workload. */
export const BUFFERED_CAPACITY = 128;

/** A channel as the two loops below see it: awaitable send and receive of numbers. */
interface Pipe {
  send(value: number): Promise<unknown>;
  recv(): Promise<number>;
}

/**
 * One producer sends 0..count-1, one consumer receives and sums them. The loops
 * are written once per peer (below) rather than through {@link Pipe}, so no
 * peer pays for an adapter call; this generic version serves the floor only.
 */
async function oneWay(count: number, unit: Unit, pipe: Pipe): Promise<Measurement> {
  return timed(count, unit, triangle(count), async () => {
    let sum = 0;
    const consumer = (async () => {
      for (let i = 0; i < count; i++) sum += await pipe.recv();
    })();
    for (let i = 0; i < count; i++) await pipe.send(i);
    await consumer;
    return sum;
  });
}

/** `count` messages as count/2 round trips: A sends r on ping, B echoes it on pong. */
async function pingPong(count: number, ping: Pipe, pong: Pipe): Promise<Measurement> {
  const rounds = Math.max(1, Math.floor(count / 2));
  return timed(rounds * 2, "ns/msg", triangle(rounds), async () => {
    const echo = (async () => {
      for (let r = 0; r < rounds; r++) await pong.send(await ping.recv());
    })();
    let sum = 0;
    for (let r = 0; r < rounds; r++) {
      await ping.send(r);
      sum += await pong.recv();
    }
    await echo;
    return sum;
  });
}

// ---- @gochan/core -----------------------------------------------------------

function gochanOneWay(capacity: number): Peer {
  return async (count) => {
    const { Chan } = await load<typeof Core>("@gochan/core");
    const ch = new Chan<number>(capacity);
    return timed(count, "ns/msg", triangle(count), async () => {
      let sum = 0;
      const consumer = (async () => {
        for (let i = 0; i < count; i++) sum += (await ch.recv()) as number;
      })();
      for (let i = 0; i < count; i++) await ch.send(i);
      await consumer;
      return sum;
    });
  };
}

const gochanPingPong: Peer = async (count) => {
  const { Chan } = await load<typeof Core>("@gochan/core");
  const ping = new Chan<number>();
  const pong = new Chan<number>();
  const rounds = Math.max(1, Math.floor(count / 2));
  return timed(rounds * 2, "ns/msg", triangle(rounds), async () => {
    const echo = (async () => {
      for (let r = 0; r < rounds; r++) await pong.send((await ping.recv()) as number);
    })();
    let sum = 0;
    for (let r = 0; r < rounds; r++) {
      await ping.send(r);
      sum += (await pong.recv()) as number;
    }
    await echo;
    return sum;
  });
};

/** The unbuffered hand-off with the fairness policy at its default or switched off. */
function gochanFairness(yieldOff: boolean): Peer {
  return async (count) => {
    const core = await load<typeof Core>("@gochan/core");
    const previous = core.configureScheduling(yieldOff ? { yieldEvery: Infinity } : {});
    try {
      const before = core.getScheduling().yields;
      const m = await gochanOneWay(0)(count);
      m.extra = { ...m.extra, yields: core.getScheduling().yields - before };
      return m;
    } finally {
      core.configureScheduling(previous);
    }
  };
}

// ---- ts-chan ----------------------------------------------------------------

function tsChanOneWay(capacity: number, unsafe: boolean): Peer {
  return async (count) => {
    const { Chan } = await load<typeof TsChan>("ts-chan");
    const ch = new Chan<number>(capacity).setUnsafe(unsafe);
    return timed(count, "ns/msg", triangle(count), async () => {
      let sum = 0;
      const consumer = (async () => {
        for (let i = 0; i < count; i++) sum += (await ch.recv()).value as number;
      })();
      for (let i = 0; i < count; i++) await ch.send(i);
      await consumer;
      return sum;
    });
  };
}

function tsChanPingPong(unsafe: boolean): Peer {
  return async (count) => {
    const { Chan } = await load<typeof TsChan>("ts-chan");
    const ping = new Chan<number>().setUnsafe(unsafe);
    const pong = new Chan<number>().setUnsafe(unsafe);
    const rounds = Math.max(1, Math.floor(count / 2));
    return timed(rounds * 2, "ns/msg", triangle(rounds), async () => {
      const echo = (async () => {
        for (let r = 0; r < rounds; r++) await pong.send((await ping.recv()).value as number);
      })();
      let sum = 0;
      for (let r = 0; r < rounds; r++) {
        await ping.send(r);
        sum += (await pong.recv()).value as number;
      }
      await echo;
      return sum;
    });
  };
}

// ---- @thi.ng/csp ------------------------------------------------------------
// csp has no unbuffered channel: the smallest buffer is 1 (its default), and a
// write's promise resolves when a reader takes the value, whatever the buffer
// size. So `await ch.write(v)`, as its README writes it, is a rendezvous even on
// a buffered channel; "csp-offer" is the buffered-producer idiom: offer() while
// the buffer has room, await write() only when it is full.

function cspOneWay(capacity: number, offerFirst: boolean): Peer {
  return async (count) => {
    const { channel } = await load<typeof Csp>("@thi.ng/csp");
    const ch = channel<number>(Math.max(1, capacity));
    return timed(count, "ns/msg", triangle(count), async () => {
      let sum = 0;
      const consumer = (async () => {
        for (let i = 0; i < count; i++) sum += (await ch.read()) as number;
      })();
      if (offerFirst) {
        for (let i = 0; i < count; i++) if (!ch.offer(i)) await ch.write(i);
      } else {
        for (let i = 0; i < count; i++) await ch.write(i);
      }
      await consumer;
      return sum;
    });
  };
}

const cspPingPong: Peer = async (count) => {
  const { channel } = await load<typeof Csp>("@thi.ng/csp");
  const ping = channel<number>();
  const pong = channel<number>();
  const rounds = Math.max(1, Math.floor(count / 2));
  return timed(rounds * 2, "ns/msg", triangle(rounds), async () => {
    const echo = (async () => {
      for (let r = 0; r < rounds; r++) await pong.write((await ping.read()) as number);
    })();
    let sum = 0;
    for (let r = 0; r < rounds; r++) {
      await ping.write(r);
      sum += (await pong.read()) as number;
    }
    await echo;
    return sum;
  });
};

// ---- the floor --------------------------------------------------------------

function floorOneWay(capacity: number): Peer {
  return (count) => oneWay(count, "ns/msg", new FloorChan<number>(capacity));
}

const floorPingPong: Peer = (count) => pingPong(count, new FloorChan<number>(), new FloorChan<number>());

/** The channel workloads. */
export const channels: Family = {
  name: "channels",
  workloads: [
    {
      id: "unbuffered",
      title: "Unbuffered hand-off, one way",
      unit: "ns/msg",
      count: { full: 200_000, quick: 2_000 },
      warmup: true,
      peers: {
        gochan: gochanOneWay(0),
        "ts-chan": tsChanOneWay(0, false),
        "ts-chan-unsafe": tsChanOneWay(0, true),
        csp: cspOneWay(0, false),
        floor: floorOneWay(0),
      },
      go: [{ bench: "Unbuffered", peer: "go" }],
      note: "@thi.ng/csp has no unbuffered channel: channel() has a buffer of 1, and its write resolves when a reader takes the value.",
    },
    {
      id: "pingpong",
      title: "Unbuffered ping-pong",
      unit: "ns/msg",
      count: { full: 200_000, quick: 2_000 },
      warmup: true,
      peers: {
        gochan: gochanPingPong,
        "ts-chan": tsChanPingPong(false),
        "ts-chan-unsafe": tsChanPingPong(true),
        csp: cspPingPong,
        floor: floorPingPong,
      },
      go: [{ bench: "PingPong", peer: "go" }],
      note: "200,000 messages = 100,000 round trips; the figure is per message.",
    },
    {
      id: "buffered",
      title: `Buffered (capacity ${BUFFERED_CAPACITY}), one producer, one consumer`,
      unit: "ns/msg",
      count: { full: 1_000_000, quick: 5_000 },
      warmup: true,
      peers: {
        gochan: gochanOneWay(BUFFERED_CAPACITY),
        "ts-chan": tsChanOneWay(BUFFERED_CAPACITY, false),
        "ts-chan-unsafe": tsChanOneWay(BUFFERED_CAPACITY, true),
        csp: cspOneWay(BUFFERED_CAPACITY, false),
        "csp-offer": cspOneWay(BUFFERED_CAPACITY, true),
        floor: floorOneWay(BUFFERED_CAPACITY),
      },
      go: [{ bench: "Buffered", peer: "go" }],
      note: "@thi.ng/csp's `await write(v)` waits for the reader even with buffer room, so the plain row is a rendezvous; the offer() row is csp's buffered-producer idiom.",
    },
    {
      id: "fairness",
      title: "Fairness policy: unbuffered hand-off, default vs yieldEvery: Infinity",
      unit: "ns/msg",
      count: { full: 200_000, quick: 2_000 },
      warmup: true,
      runs: CLOSE_RATIO_RUNS,
      peers: {
        default: gochanFairness(false),
        "yield-off": gochanFairness(true),
      },
    },
  ],
};

runIfMain(import.meta.url, channels);
