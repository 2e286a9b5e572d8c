/**
 * Test helpers for code that runs on worker threads. Workers load the built
 * package (dist/), so the helper rebuilds it first when a source is newer.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { fileURLToPath } from "node:url";
import { threadExited } from "@gochan/threads";

const pkg = fileURLToPath(new URL("..", import.meta.url));

/** Rebuilds packages/threads (and what it references) if dist is missing or older than src. */
export function ensureBuilt(): void {
  const dist = `${pkg}dist/index.js`;
  const built = existsSync(dist) ? statSync(dist).mtimeMs : 0;
  const newest = Math.max(...readdirSync(`${pkg}src`).map((f) => statSync(`${pkg}src/${f}`).mtimeMs));
  if (newest > built) {
    const tsc = fileURLToPath(new URL("../../../node_modules/typescript/bin/tsc", import.meta.url));
    execFileSync(process.execPath, [tsc, "-b", pkg], { stdio: "inherit" });
  }
}

/** Starts test/fixtures/<name>.mjs with `workerData`; tells the channels when it exits. */
export function spawn(name: string, workerData?: unknown): Worker {
  const w = new Worker(new URL(`./fixtures/${name}.mjs`, import.meta.url), { workerData });
  const id = w.threadId;
  w.on("exit", () => threadExited(id));
  return w;
}

/** The next message from `w`. */
export function nextMessage<T>(w: Worker): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMsg = (m: T): void => {
      w.off("error", onErr);
      resolve(m);
    };
    const onErr = (e: unknown): void => {
      w.off("message", onMsg);
      reject(e);
    };
    w.once("message", onMsg);
    w.once("error", onErr);
  });
}

/** Resolves once `w` has exited. */
export function exited(w: Worker): Promise<number> {
  return new Promise((resolve) => w.once("exit", resolve));
}

/** An operation of the cross-thread property tests, as far as numbering its sends goes. */
type NumberedOp = { t: string; v?: number; cases?: readonly { t: string; v?: number }[] };

/** Gives every send (and every send case of a select) a distinct value, so deliveries can be counted. */
export function numberSends(threads: readonly (readonly (readonly NumberedOp[])[])[]): void {
  let next = 1;
  for (const tasks of threads)
    for (const ops of tasks)
      for (const op of ops) {
        if (op.t === "send") op.v = next++;
        if (op.t === "select" && op.cases !== undefined) for (const c of op.cases) if (c.t === "send") c.v = next++;
      }
}
