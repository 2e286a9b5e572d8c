/**
 * What a ThreadPool and its threads say to each other. Jobs go to a thread
 * through its own SharedChan as [id, slot, fn, args]; every thread reports
 * through one shared results channel as [id, slot, status, payload]. The
 * control word of `slot` (a pool-wide Int32 array) settles the race between
 * a thread starting a job and the pool cancelling it before it starts.
 *
 * @module
 */

/** A job envelope: job id, control slot, export name, arguments. */
export type JobEnvelope = [id: number, slot: number, fn: string, args: unknown[]];
/** A report: job id, control slot, status, value or error. */
export type JobReport = [id: number, slot: number, status: number, payload: unknown];

/** Control word values. */
export const SLOT_FREE = 0;
export const SLOT_QUEUED = 1;
export const SLOT_RUNNING = 2;
export const SLOT_CANCELLED = 3;

/** Report statuses. */
export const DONE = 0;
export const FAILED = 1;
export const SKIPPED = 2;

/** workerData of a pool thread. */
export interface ThreadData {
  module: string;
  jobs: unknown;
  results: unknown;
  control: SharedArrayBuffer;
}
