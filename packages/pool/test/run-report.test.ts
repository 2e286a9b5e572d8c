// @gochan/pool under @gochan/core's run(): reports leave the pool's own frames
// out, as they leave out core's.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

describe("run()'s deadlock report with a pool", () => {
  it("shows the blocked job's own frames and none of the pool's", () => {
    const root = fileURLToPath(new URL("../../../", import.meta.url));
    const fixture = fileURLToPath(new URL("./fixtures/run-deadlock.ts", import.meta.url));
    // tsx (a dependency of the bench package) runs the fixture on the sources,
    // through the workspace tsconfig's paths.
    const tsx = join(dirname(createRequire(join(root, "packages/bench/package.json")).resolve("tsx/package.json")), "dist/cli.mjs");
    const r = spawnSync(process.execPath, [tsx, "--tsconfig", join(root, "tsconfig.json"), fixture], {
      cwd: root,
      encoding: "utf8",
      timeout: 45_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^fatal error: all goroutines are asleep - deadlock!\n/);
    expect(r.stderr).toMatch(/\[chan receive\]:\nreceive from chan\(never\) 0\/0\n\tat (\w+\.)?stuckJob \(.*run-deadlock\.ts:\d+:\d+\)/);
    expect(r.stderr).not.toMatch(/packages\/(pool|core)\/(src|dist)\//);
  }, 60_000);
});
