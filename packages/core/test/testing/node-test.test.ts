// The bubble under node:test, Node's own runner: a fixture run with `node --test`.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { expect, it } from "vitest";

/** tsx's ESM loader, from a workspace package that depends on it. */
function tsxLoader(): string {
  for (const pkg of ["../../../bench/package.json", "../../../demo/package.json", "../../../../package.json"]) {
    try {
      return pathToFileURL(createRequire(new URL(pkg, import.meta.url)).resolve("tsx")).href;
    } catch {
      // try the next one
    }
  }
  throw new Error("tsx is not installed in the workspace");
}

it("works under node:test: passing bubbles pass, a deadlocked one fails with its report", async () => {
  const fixture = fileURLToPath(new URL("../fixtures/synctest-node-test.ts", import.meta.url));
  const out = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", tsxLoader(), "--test", "--test-reporter=tap", fixture], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NODE_OPTIONS: "" },
    });
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.resume();
    const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(killer);
      resolve({ code, stdout });
    });
  });
  expect(out.stdout).toMatch(/^# pass 2$/m);
  expect(out.stdout).toMatch(/^# fail 1$/m);
  expect(out.stdout).toMatch(/^not ok 3 - a deadlock fails the test$/m);
  expect(out.stdout).toContain("deadlock: all goroutines in bubble are blocked");
  expect(out.stdout).toContain("receive from chan(orphan) 0/0");
  expect(out.code).toBe(1);
});
