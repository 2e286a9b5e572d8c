/**
 * The ThreadPool's queue of jobs not yet handed to a thread: FIFO with O(1)
 * amortised push and shift (an array and a head index, compacted once the
 * dead prefix is as long as the live part), plus the rarer operations the
 * pool needs: put jobs back at the head, withdraw one, drop all.
 *
 * @module
 */
import type { Job } from "./job.js";

export class JobQueue {
  #items: (Job | undefined)[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(job: Job): void {
    this.#items.push(job);
  }

  /** The oldest job; the caller checks `length > 0`. */
  peek(): Job {
    return this.#items[this.#head] as Job;
  }

  /** Removes the oldest job; the caller checks `length > 0`. */
  shift(): Job {
    const job = this.#items[this.#head] as Job;
    this.#items[this.#head++] = undefined;
    if (this.#head === this.#items.length) {
      this.#items.length = 0;
      this.#head = 0;
    } else if (this.#head >= 1024 && 2 * this.#head >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return job;
  }

  /** Puts `jobs` back at the head, in their order. */
  unshift(jobs: readonly Job[]): void {
    if (jobs.length === 0) return;
    if (this.#head >= jobs.length) {
      this.#head -= jobs.length;
      for (let i = 0; i < jobs.length; i++) this.#items[this.#head + i] = jobs[i];
      return;
    }
    this.#items = [...jobs, ...this.#items.slice(this.#head)];
    this.#head = 0;
  }

  /** Withdraws `job`; whether it was queued. */
  remove(job: Job): boolean {
    const i = this.#items.indexOf(job, this.#head);
    if (i < 0) return false;
    this.#items.splice(i, 1);
    return true;
  }

  /** Removes and returns every job, oldest first. */
  clear(): Job[] {
    const all = this.#items.slice(this.#head) as Job[];
    this.#items = [];
    this.#head = 0;
    return all;
  }
}
