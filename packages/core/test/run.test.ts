import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { Chan, nilChan, recv, send } from "@gochan/core";
import { CallSites } from "../src/call-sites.js";
import { BlockedOps, deadlockReport, panicReport, Tasks, waitReason } from "../src/run.js";

/** tsx's ESM loader, from a workspace package that depends on it. */
function tsxLoader(): string {
  for (const pkg of ["../../bench/package.json", "../../demo/package.json", "../../../package.json"]) {
    try {
      return pathToFileURL(createRequire(new URL(pkg, import.meta.url)).resolve("tsx")).href;
    } catch {
      // try the next one
    }
  }
  throw new Error("tsx is not installed in the workspace");
}
const loader = tsxLoader();

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a fixture in its own Node process; kills it if it outlives `limitMs` (a hang). */
function runFixture(file: string, scenario: string, limitMs = 45_000): Promise<Outcome> {
  const path = fileURLToPath(new URL(`./fixtures/${file}`, import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", loader, path, scenario], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NODE_OPTIONS: "" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const killer = setTimeout(() => child.kill("SIGKILL"), limitMs);
    child.on("error", (e) => {
      clearTimeout(killer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

const FATAL = "fatal error: all goroutines are asleep - deadlock!";
const FIXTURE = /run-scenarios\.ts:\d+:\d+/;

describe.concurrent("run(main) in a child process", () => {
  it("a deadlock: Go's report with every blocked operation, where it started, and exit code 2", async () => {
    const r = await runFixture("run-scenarios.ts", "deadlock");
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    const lines = r.stderr.split("\n");
    expect(lines[0]).toBe(FATAL);
    expect(lines[1]).toBe("");
    const entries = r.stderr.split("\n\n").slice(1).map((e) => e.trim());
    expect(entries).toHaveLength(5);
    const byReason = new Map(entries.map((e) => [/^goroutine \d+ \[(.+)\]:/.exec(e)?.[1], e]));
    expect([...byReason.keys()].sort()).toEqual(
      ["chan receive", "chan receive (nil chan)", "chan send", "select", "sync.WaitGroup.Wait"].sort(),
    );
    expect(byReason.get("chan send")).toContain("send to chan(full) 1/1");
    expect(byReason.get("chan send")).toMatch(/at producer \(.*run-scenarios\.ts:\d+:\d+\)/);
    expect(byReason.get("select")).toContain("select on: receive from chan(results) 0/0, send to chan(full) 1/1");
    expect(byReason.get("select")).toMatch(/at chooser /);
    expect(byReason.get("chan receive (nil chan)")).toContain("receive from nil chan");
    expect(byReason.get("chan receive (nil chan)")).toMatch(/at nilReader /);
    expect(byReason.get("sync.WaitGroup.Wait")).toMatch(/at waiter /);
    expect(byReason.get("chan receive")).toContain("receive from chan(results) 0/0");
    expect(byReason.get("chan receive")).toMatch(/at deadlock /);
    // Go's "created by" for every blocked go() task, with where go() was called; none for main.
    for (const [reason, fn] of [
      ["chan send", "producer"],
      ["select", "chooser"],
      ["chan receive (nil chan)", "nilReader"],
      ["sync.WaitGroup.Wait", "waiter"],
    ] as const) {
      expect(byReason.get(reason)).toMatch(new RegExp(`\\ncreated by go\\(${fn}\\)\\n\\tat deadlock \\(.*run-scenarios\\.ts:\\d+:\\d+\\)`));
    }
    expect(byReason.get("chan receive")).not.toContain("created by");
    // Nothing of the task runner shows.
    expect(r.stderr).not.toContain("gochan.task#");
    // gochan's own frames are left out.
    expect(r.stderr).not.toMatch(/core\/src\/(chan|select|run|wait-group)\.ts/);
    // Numbered 1..5 in the order they are listed.
    expect(entries.map((e) => /^goroutine (\d+)/.exec(e)?.[1])).toEqual(["1", "2", "3", "4", "5"]);
  });

  it("a task blocked after several awaits still gets its call site and Go's created-by line", async () => {
    const r = await runFixture("run-scenarios.ts", "worker-loop");
    expect(r.code).toBe(2);
    const entries = r.stderr.split("\n\n").slice(1).map((e) => e.trim());
    expect(entries).toHaveLength(2);
    const send = entries.find((e) => e.includes("[chan send]")) ?? "";
    expect(send).toContain("send to chan(results) 0/0");
    expect(send).toMatch(/\tat worker \(.*run-scenarios\.ts:\d+:\d+\)\ncreated by go\(worker\)\n\tat workerLoop \(.*run-scenarios\.ts:\d+:\d+\)/);
    expect(entries.find((e) => e.includes("[chan receive]"))).toContain("receive from chan(done) 0/0");
  });

  it("after a busy phase the report still says where each blocked operation waits, at a sampled cost", async () => {
    const [sampled, all] = await Promise.all([
      runFixture("run-scenarios.ts", "busy-then-stuck"),
      runFixture("run-scenarios.ts", "busy-then-stuck-all"),
    ]);
    for (const r of [sampled, all]) {
      expect(r.code).toBe(2);
      const entries = r.stderr.split("\n\n").slice(1).map((e) => e.trim()).filter((e) => e.startsWith("goroutine"));
      expect(entries).toHaveLength(2);
      const echo = entries.find((e) => e.includes("receive from chan(ping)")) ?? "";
      const main = entries.find((e) => e.includes("receive from chan(pong)")) ?? "";
      // main's last receive from pong: its own site was sampled, or the report
      // names where receives from pong were seen waiting (the busy loop). echo's receive from ping parks only at the end (during
      // the busy phase echo always found main's send waiting), after the
      // sampler's budget ran out: the report says how to get every site, and
      // where echo's task was created.
      expect(main).toMatch(/receive from chan\(pong\) 0\/0\n(\tat |\t\(call site not sampled; receives from chan\(pong\) 0\/0 were seen waiting at:\)\n\tat )busyThenStuck \(.*run-scenarios\.ts:\d+:\d+\)/);
      expect(echo).toMatch(/receive from chan\(ping\) 0\/0\n(\tat echo \(|\t\(call site not sampled)/);
      expect(r.stderr).toMatch(/\ncreated by go\(echo\)\n\tat busyThenStuck \(.*run-scenarios\.ts:\d+:\d+\)/);
    }
    // callSites: "all" records every one: the exact lines, and echo's task.
    expect(all.stderr).toMatch(/receive from chan\(pong\) 0\/0\n\tat busyThenStuck \(/);
    expect(all.stderr).toMatch(/receive from chan\(ping\) 0\/0\n\tat echo \(.*\)\ncreated by go\(echo\)\n\tat busyThenStuck/);
  });

  it("main returns while other tasks are blocked: exit 0, no report (as in Go)", async () => {
    const r = await runFixture("run-scenarios.ts", "main-returns");
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("main done\n");
    expect(r.code).toBe(0);
  });

  it("waiting on timers, tickers and context deadlines is not a deadlock", async () => {
    const r = await runFixture("run-scenarios.ts", "timers-keep-alive");
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("after fired true\nthree ticks\ncontext: context deadline exceeded\n");
    expect(r.code).toBe(0);
  });

  it("once the timer has fired, a receive nobody can complete is reported", async () => {
    const r = await runFixture("run-scenarios.ts", "timer-then-deadlock");
    expect(r.stdout).toBe("timer fired\n");
    expect(r.code).toBe(2);
    expect(r.stderr.startsWith(`${FATAL}\n\ngoroutine 1 [chan receive]:\nreceive from chan(stuck) 0/0\n`)).toBe(true);
    expect(r.stderr).toMatch(FIXTURE);
  });

  it("a running ticker nobody reads does not hide a deadlock", async () => {
    const r = await runFixture("run-scenarios.ts", "unwatched-ticker");
    expect(r.signal).toBeNull(); // it ended by itself
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("[chan receive]:\nreceive from chan(lonely) 0/0");
  });

  it("select {} and a send on the nil channel use Go's wait reasons", async () => {
    const [empty, nilSend] = await Promise.all([
      runFixture("run-scenarios.ts", "select-no-cases"),
      runFixture("run-scenarios.ts", "nil-send"),
    ]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain("goroutine 1 [select (no cases)]:\nselect {}");
    expect(nilSend.code).toBe(2);
    expect(nilSend.stderr).toContain("goroutine 1 [chan send (nil chan)]:\nsend to nil chan");
  });

  it("main rejects: Go's panic line with the stack and causes, exit code 2", async () => {
    const r = await runFixture("run-scenarios.ts", "main-rejects");
    expect(r.code).toBe(2);
    expect(r.stderr.startsWith("panic: Error: main failed\n")).toBe(true);
    expect(r.stderr).toMatch(/at mainFails \(.*run-scenarios\.ts:\d+:\d+\)/);
    expect(r.stderr).toContain("[cause]: RangeError: root cause");
  });

  it("main throws synchronously a non-Error: panic with the value, exit code 2", async () => {
    const r = await runFixture("run-scenarios.ts", "main-throws-sync");
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("panic: plain string\n");
  });

  it("a go() task fails: panic with the task's stack and where it was started, exit code 2", async () => {
    const r = await runFixture("run-scenarios.ts", "go-panic");
    expect(r.code).toBe(2);
    expect(r.stderr.startsWith("panic: Error: task failed\n")).toBe(true);
    expect(r.stderr).toMatch(/at worker \(.*run-scenarios\.ts:\d+:\d+\)/);
    const created = r.stderr.slice(r.stderr.indexOf("created by go(worker)"));
    expect(created).toMatch(/^created by go\(worker\)\n\tat .*run-scenarios\.ts:\d+:\d+/);
  });

  it("main awaits a promise that can never settle: the report says so", async () => {
    const r = await runFixture("run-scenarios.ts", "never-settles");
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `${FATAL}\n\nmain is still pending, but no channel operation is blocked: it awaits a promise that can never settle\n`,
    );
  });

  it("blockedOps: false still stops with the fatal error, without the list", async () => {
    const r = await runFixture("run-scenarios.ts", "untracked");
    expect(r.code).toBe(2);
    expect(r.stderr.startsWith(`${FATAL}\n`)).toBe(true);
    expect(r.stderr).toContain("blocked operations are not recorded");
    expect(r.stderr).not.toMatch(/^goroutine \d+/m);
  });

  it("without Node's process (a browser), run() only calls main and raises its error as uncaught", async () => {
    const r = await runFixture("run-scenarios.ts", "browser-like");
    expect(r.stdout).toBe("main ran\n");
    expect(r.code).toBe(1); // Node's own uncaught-exception exit, not run()'s 2
    expect(r.stderr).toContain("Error: browser main failed");
    expect(r.stderr).not.toContain("panic:");
  });

  it("callSites: false lists the operations without stacks", async () => {
    const r = await runFixture("run-scenarios.ts", "no-call-sites");
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`${FATAL}\n\ngoroutine 1 [chan receive]:\nreceive from chan(bare) 0/0\n`);
  });
});

describe.concurrent("go() and timers in a plain Node program (no run)", () => {
  it("an unhandled task error ends the process with the task's stack (Node's exit code 1)", async () => {
    const r = await runFixture("go-plain.ts", "uncaught");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Error: not lost");
    expect(r.stderr).toMatch(/at failingTask \(.*go-plain\.ts:\d+:\d+\)/);
  });

  it("a panic handler takes the error instead; the program goes on and exits 0", async () => {
    const r = await runFixture("go-plain.ts", "handled");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("handled: caught by the handler\n");
  });

  it("a panic handler that throws does not make the error vanish", async () => {
    const r = await runFixture("go-plain.ts", "handler-throws");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("the handler failed too");
  });

  it("pending timers, tickers and deadlines nobody waits on do not keep Node alive", async () => {
    const r = await runFixture("go-plain.ts", "unwatched-timers");
    expect(r.signal).toBeNull(); // not killed: it exited by itself, long before the 60 s timers
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("end of script\n");
  });

  it("a receive blocked on a pending timer keeps Node alive until the timer fires", async () => {
    const r = await runFixture("go-plain.ts", "watched-timer");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("fired true\n");
  });
});

describe("the report, formatted in-process", () => {
  it("names Go's wait reasons", () => {
    const ch = new Chan<number>(0, { name: "x" });
    expect(waitReason({ kind: "recv", target: ch, site: null })).toBe("chan receive");
    expect(waitReason({ kind: "send", target: ch, site: null })).toBe("chan send");
    expect(waitReason({ kind: "recv", target: nilChan(), site: null })).toBe("chan receive (nil chan)");
    expect(waitReason({ kind: "select", target: [recv(ch), send(ch, 1)], site: null })).toBe("select");
    expect(waitReason({ kind: "select", target: [], site: null })).toBe("select (no cases)");
  });

  it("records parked operations only while installed, and forgets them on unpark", () => {
    const ops = new BlockedOps(false);
    const a = { traced: null };
    const b = { traced: null };
    ops.park(a, "recv", new Chan<number>(0, { name: "a" }));
    ops.park(b, "select", [new Promise(() => {}), AbortSignal.abort()]);
    ops.unpark(a);
    expect(deadlockReport(ops.ops(), true)).toBe(
      `${FATAL}\n\ngoroutine 1 [select]:\nselect on: promise, abort signal\n`,
    );
  });

  it("names a blocked operation's task from its stack, and lists the pending tasks no entry names", async () => {
    const tasks = new Tasks(new CallSites("all"));
    const ch = new Chan<number>(0, { name: "t" });
    let inside: Error | null = null;
    tasks.spawn(async function named() {
      await Promise.resolve();
      inside = new Error("parked here");
      await ch.recv();
    }, [], tasks.sample()!);
    tasks.spawn(async function other() {
      await ch.recv();
    }, [], tasks.sample()!);
    await new Promise((r) => setImmediate(r));
    const site = inside as Error | null;
    expect(site).not.toBeNull();
    const report = deadlockReport([{ kind: "recv", target: ch, site }], true, undefined, tasks);
    expect(report).toMatch(/\tat (async )?named \([^\n]*\)\ncreated by go\(named\)\n\tat [^\n]*run\.test\.ts/);
    expect(report).toMatch(
      /\n1 go\(\) task is still pending without a blocked operation above to show for it [^\n]*:\ncreated by go\(other\)\n\tat [^\n]*run\.test\.ts/,
    );
    void ch.send(1);
    void ch.send(2);
    await new Promise((r) => setImmediate(r));
    expect(tasks.live()).toEqual([]); // finished tasks are forgotten
  });

  it("formats a panic of any value", () => {
    expect(panicReport(42)).toBe("panic: 42\n");
    expect(panicReport({ code: 7 })).toBe('panic: [object Object] {"code":7}\n');
    const e = new Error("x");
    e.stack = "Error: x\n    at f (file.ts:1:1)";
    expect(panicReport(e)).toBe("panic: Error: x\n    at f (file.ts:1:1)\n");
  });
});
