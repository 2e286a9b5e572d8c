/** The type of test/fixtures/port-jobs.mjs, for ThreadPool<PortJobs>. */
import type { MessagePort } from "node:worker_threads";
import type { Transferred } from "@gochan/threads";

export interface PortJobs {
  greet(port: MessagePort, text: string): number;
  giveBack(box: { port: MessagePort; tag: number }): Transferred<{ port: MessagePort; tag: number }>;
  gated(gate: MessagePort, port: MessagePort): Promise<number>;
  exitHolding(port: MessagePort, code: number): never;
  gatedExit(gate: MessagePort, code: number): Promise<never>;
  giveUnlisted(port: MessagePort): Transferred<{ port: MessagePort }>;
  giveBad(): Transferred<number>;
  exitOnMovedArgs(): boolean;
  countTold(port: MessagePort, n: number): Generator<number>;
  yieldPorts(n: number, unlisted?: boolean): Generator<Transferred<{ i: number; port: MessagePort }>>;
}

export const portJobs = new URL("./fixtures/port-jobs.mjs", import.meta.url);
