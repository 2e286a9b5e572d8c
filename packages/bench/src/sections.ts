/**
 * The sections of docs/benchmarks.md: one per workload family, in the order of
 * the families, each with a heading and what its rows measure (the contract
 * every peer of the section keeps). The report writes every section a run
 * measured, so one full run rewrites the whole file.
 *
 * @module
 */

/** A section of the report. */
export interface Section {
  /** The `##` heading; also the anchor other docs link to. */
  heading: string;
  /** What the rows measure and how peers were made equal, in markdown. */
  intro: string;
}

/** The sections, by family name (src/workloads/<family>.ts). */
export const SECTIONS: Record<string, Section> = {
  channels: {
    heading: "Channels",
    intro:
      "Every row moves the same values through one channel between two tasks and awaits every operation. The floor is a " +
      "minimal promise-based channel with the same hand-off (src/floor.ts): no close, no select, no cancellation.",
  },
  select: {
    heading: "Select",
    intro: "Every row receives from one of N channels that are all ready, through each library's select.",
  },
  pool: {
    heading: "Worker pools",
    intro:
      "Each workload holds one contract, and every row keeps it. **A promise per job**: the submitter gets one result " +
      "promise per job (`pool.submit`, p-limit, p-queue, fastq, async.queue). **A batch**: the results come back as one " +
      "array of plain values (`pool.group()`, p-map, Effect.forEach). Each floor is a minimal hand-written implementation " +
      "of its workload's contract (src/pool-floor.ts), so a target against it is reachable. Go keeps the same contract: a " +
      "reply channel per job that the submitter receives from, the same queue bound. The one-at-a-time rows always meet an " +
      "idle worker; the I/O-like rows' jobs each await one setImmediate turn.",
  },
  map: {
    heading: "pool.map",
    intro:
      "A batch pulled from an iterable: nothing is queued ahead of the workers. Every row keeps the batch contract " +
      "(results as plain values, in order).",
  },
  programs: {
    heading: "Go's own programs, in TypeScript and in Go",
    intro:
      "The same programs written in both languages (src/workloads/programs.ts, go/programs_test.go), figures per unit of " +
      "work. **TS / Go** divides the process's CPU time by Go's at GOMAXPROCS=1 (JavaScript runs on one thread); it is the " +
      "column to read, as wall-clock time on a shared machine counts time spent descheduled.",
  },
  memory: {
    heading: "Memory",
    intro: "Heap bytes per blocked operation, measured between forced collections.",
  },
  soak: {
    heading: "Soak",
    intro: "Heap growth over a long loop: what leaks per operation shows up as growth.",
  },
  synctest: {
    heading: "synctest",
    intro: "The same program inside and outside a synctest bubble.",
  },
  threads: {
    heading: "Threads",
    intro:
      "`@gochan/threads` (ThreadPool, SharedChan) against piscina, tinypool and hand-written floors, all at 2 threads. " +
      "Thread figures need idle cores: on a loaded machine two threads do not get two cores, so read them with the load " +
      "average above.",
  },
  redis: {
    heading: "Redis",
    intro:
      "A durable queue on a local redis-server, end to end with 2 worker processes, against BullMQ on the same workload; " +
      "the floor is redis-benchmark XADD of the same payload. Without redis-server the rows say not available.",
  },
};

/** The section of a family (a heading made from its name if it has no entry). */
export function sectionOf(family: string | undefined): Section {
  if (family === undefined) return { heading: "Results", intro: "" };
  return SECTIONS[family] ?? { heading: family, intro: "" };
}
