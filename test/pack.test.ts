/**
 * The packed artifact, as a user gets it: each package is packed with `pnpm pack`
 * (which runs `prepack`, i.e. `tsc -b`, and rewrites `workspace:*` dependencies to
 * versions), all tarballs are installed together with npm into a temporary
 * project, and that project then
 * - imports each package by name from a child node process (ESM, through the
 *   `exports` map), and exercises @gochan/core: channels, select, close, range;
 * - type-checks a small TypeScript consumer against the installed declarations
 *   (moduleResolution NodeNext, no skipLibCheck), so a broken `types` export, a
 *   declaration that points at a missing file, or types that collapse to `any`
 *   fail here.
 * Each tarball must contain dist/index.js and dist/index.d.ts, and no sources,
 * tests or build info. Needs `npm` and `tar` on PATH (as on the Linux CI).
 */
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/** The packages to pack and install together. To add one, add a line. */
const PACKAGES: readonly { dir: string; name: string }[] = [
  { dir: "core", name: "@gochan/core" },
  { dir: "pool", name: "@gochan/pool" },
  { dir: "threads", name: "@gochan/threads" },
  { dir: "redis", name: "@gochan/redis" },
];

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const TSC = join(ROOT, "node_modules", "typescript", "bin", "tsc");
const BIN = join(ROOT, "node_modules", ".bin");
const SLOW = 180_000; // generous for a loaded machine; a normal run takes a few seconds

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command without a shell; never rejects. */
function run(cmd: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env, maxBuffer: 16 * 1024 * 1024, timeout: SLOW }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
      resolve({ code, stdout, stderr: error !== null && stderr === "" ? String(error) : stderr });
    });
  });
}

/** Runs a command and throws, with its whole output, if it fails. */
async function mustRun(cmd: string, args: readonly string[], cwd: string, env?: NodeJS.ProcessEnv): Promise<string> {
  const r = await run(cmd, args, cwd, env);
  if (r.code !== 0) {
    throw new Error(`${[cmd, ...args].join(" ")} (in ${cwd}) exited with ${r.code}\n${r.stdout}\n${r.stderr}`);
  }
  return r.stdout;
}

/** The pnpm the workspace pins (package.json's packageManager), e.g. "pnpm@10.34.9". */
const PINNED_PNPM = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { packageManager: string }).packageManager;

/** pnpm itself when the tests run under pnpm, else the pinned pnpm through `npx --yes`. */
function pnpm(): { cmd: string; args: string[] } {
  const execPath = process.env["npm_execpath"];
  if (execPath !== undefined && basename(execPath).startsWith("pnpm")) {
    return /\.[cm]?js$/.test(execPath) ? { cmd: process.execPath, args: [execPath] } : { cmd: execPath, args: [] };
  }
  return { cmd: "npx", args: ["--yes", PINNED_PNPM] };
}

/** The environment for npm, without the npm_* variables of the runner (pnpm's config would leak in). */
function npmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  return env;
}

let work = "";
let app = "";
const tarballs = new Map<string, { file: string; entries: string[] }>();

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "gochan-pack-"));
  const p = pnpm();
  // One at a time: a package's prepack (tsc -b) also builds the packages it references.
  for (const pkg of PACKAGES) {
    const dest = join(work, `tarball-${pkg.dir}`);
    mkdirSync(dest);
    await mustRun(p.cmd, [...p.args, "pack", "--pack-destination", dest], join(ROOT, "packages", pkg.dir));
    const files = readdirSync(dest).filter((f) => f.endsWith(".tgz"));
    expect(files, `pnpm pack of ${pkg.name} made one tarball`).toHaveLength(1);
    const file = join(dest, files[0] as string);
    const entries = (await mustRun("tar", ["-tzf", file], dest)).split("\n").filter((l) => l !== "");
    tarballs.set(pkg.name, { file, entries });
  }
  app = join(work, "app");
  mkdirSync(app);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "gochan-pack-test-app", private: true, type: "module" }));
  // All tarballs in one install, so a workspace dependency (pool -> core) is met by its sibling.
  await mustRun(
    "npm",
    ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", ...[...tarballs.values()].map((t) => t.file)],
    app,
    npmEnv(),
  );
}, SLOW * 2); // one pack per package, each rebuilding core from clean

afterAll(() => {
  if (work !== "") rmSync(work, { recursive: true, force: true });
});

describe.each(PACKAGES)("the packed $name", ({ name }) => {
  it("contains the built entry point and declarations, and no sources, tests or build info", () => {
    const { entries } = tarballs.get(name) as { entries: string[] };
    expect(entries).toContain("package/package.json");
    expect(entries).toContain("package/dist/index.js");
    expect(entries).toContain("package/dist/index.d.ts");
    const unwanted = entries.filter(
      (e) =>
        e.startsWith("package/src/") ||
        e.startsWith("package/test/") ||
        /\.(test|spec|test-d)\.[cm]?[jt]s$/.test(e) ||
        /\.tsbuildinfo$/.test(e) ||
        /\.tgz$/.test(e) ||
        (/\.[cm]?ts$/.test(e) && !/\.d\.[cm]?ts$/.test(e)),
    );
    expect(unwanted).toEqual([]);
  });

  it("has an exports map whose every target is in the tarball, and no workspace: dependency left", async () => {
    const { entries, file } = tarballs.get(name) as { entries: string[]; file: string };
    const manifest = JSON.parse(await mustRun("tar", ["-xzOf", file, "package/package.json"], work)) as {
      exports?: unknown;
      dependencies?: Record<string, string>;
      peerDependencies?: Record<string, string>;
    };
    const targets: string[] = [];
    const collect = (x: unknown): void => {
      if (typeof x === "string") targets.push(x);
      else if (x !== null && typeof x === "object") for (const v of Object.values(x)) collect(v);
    };
    collect(manifest.exports);
    expect(targets.length).toBeGreaterThan(0);
    for (const t of targets) expect(entries, `exports target ${t}`).toContain(`package/${t.replace(/^\.\//, "")}`);
    const specs = { ...manifest.dependencies, ...manifest.peerDependencies };
    expect(Object.entries(specs).filter(([, v]) => v.startsWith("workspace:"))).toEqual([]);
    // A sibling is a caret range, so a patch of core does not install a second copy.
    for (const [dep, spec] of Object.entries(specs)) if (dep.startsWith("@gochan/")) expect(spec, dep).toMatch(/^\^\d/);
  }, SLOW);

  it("passes publint (strict) and arethetypeswrong (ESM-only profile), as a registry would see it", async () => {
    const { file } = tarballs.get(name) as { file: string };
    const lint = await run(join(BIN, "publint"), ["run", file, "--strict"], work);
    expect(lint.stdout + lint.stderr).toContain("All good!");
    expect(lint.code).toBe(0);
    const types = await run(join(BIN, "attw"), [file, "--profile", "esm-only", "--format", "json"], work);
    const report = JSON.parse(types.stdout) as { analysis: { problems: { kind: string; resolutionKind: string }[] } };
    // The ESM-only profile ignores node10 and node16-from-CJS resolutions; anything else is a real problem.
    const problems = report.analysis.problems.filter((p) => p.resolutionKind !== "node10" && p.resolutionKind !== "node16-cjs");
    expect(problems).toEqual([]);
    expect(types.code).toBe(0);
  }, SLOW);

  it("says which Node it needs, publishes publicly, and links back to the repository", async () => {
    const { file } = tarballs.get(name) as { file: string };
    const manifest = JSON.parse(await mustRun("tar", ["-xzOf", file, "package/package.json"], work)) as Record<string, unknown>;
    // require(esm) works from Node 20.19 on; an ESM-only package that allowed 20.18 would fail there.
    expect(manifest["engines"]).toEqual({ node: ">=20.19" });
    expect(manifest["publishConfig"]).toEqual({ access: "public" });
    expect(manifest["license"]).toBe("MIT");
    for (const key of ["repository", "homepage", "bugs", "keywords", "description"]) expect(manifest[key], key).toBeTruthy();
    const entries = (tarballs.get(name) as { entries: string[] }).entries;
    expect(entries).toEqual(expect.arrayContaining(["package/LICENSE", "package/README.md", "package/CHANGELOG.md"]));
  }, SLOW);

  it("imports by name from a child node process, through its exports map", async () => {
    const probe = join(app, `probe-${name.replace(/\W/g, "_")}.mjs`);
    writeFileSync(
      probe,
      `const m = await import(${JSON.stringify(name)});
const out = { resolved: import.meta.resolve(${JSON.stringify(name)}), exports: Object.keys(m).sort() };
try { await import(${JSON.stringify(`${name}/dist/index.js`)}); out.deep = "importable"; } catch (e) { out.deep = e.code; }
console.log(JSON.stringify(out));
`,
    );
    const out = JSON.parse(await mustRun(process.execPath, [probe], app)) as { resolved: string; exports: string[]; deep: string };
    expect(out.resolved).toBe(new URL(`node_modules/${name}/dist/index.js`, `file://${app}/`).href);
    expect(out.exports.length).toBeGreaterThan(0);
    // Only the entry points in `exports` are public; dist/ files are not reachable.
    expect(out.deep).toBe("ERR_PACKAGE_PATH_NOT_EXPORTED");
  }, SLOW);
});

// The packages whose stacks run()'s reports read ship their source maps.
describe.each(PACKAGES.filter((p) => p.dir === "core" || p.dir === "pool"))("the packed $name", ({ name }) => {
  it("ships a source map carrying its TypeScript beside every module", async () => {
    const { entries, file } = tarballs.get(name) as { entries: string[]; file: string };
    const modules = entries.filter((e) => /^package\/dist\/.*\.js$/.test(e));
    expect(modules.length).toBeGreaterThan(0);
    for (const m of modules) expect(entries, `the map of ${m}`).toContain(`${m}.map`);
    const map = JSON.parse(await mustRun("tar", ["-xzOf", file, "package/dist/index.js.map"], work)) as {
      sources?: string[];
      sourcesContent?: string[];
    };
    expect(map.sources).toEqual(["../src/index.ts"]);
    expect(map.sourcesContent?.[0]).toMatch(/^export .* from "\.\/\w[\w-]*\.js";$/m); // the TypeScript itself
  }, SLOW);

});

describe("the installed @gochan/pool", () => {
  it("runs jobs on the installed @gochan/core: results, trySubmit's queue-full error, drain", async () => {
    const program = join(app, "pool-smoke.mjs");
    writeFileSync(
      program,
      `import { Pool, QueueFullError } from "@gochan/pool";
const pool = new Pool({ maxWorkers: 2, maxQueue: 1 });
const results = await Promise.all([1, 2, 3, 4].map((n) => pool.submit(async () => n * 10)));
let release;
const gate = new Promise((r) => (release = r));
const held = [pool.submit(() => gate), pool.submit(() => gate), pool.submit(() => gate)];
let full;
try { pool.trySubmit(() => 0); full = "accepted"; } catch (e) { full = e instanceof QueueFullError; }
release();
await Promise.all(held);
await pool.stopAndWait();
const m = pool.metrics();
console.log(JSON.stringify({ results, full, succeeded: m.succeeded, stopped: pool.stopped }));
`,
    );
    const out = JSON.parse(await mustRun(process.execPath, [program], app)) as unknown;
    expect(out).toEqual({ results: [10, 20, 30, 40], full: true, succeeded: 7, stopped: true });
  }, SLOW);
});

describe("two installed copies of @gochan/core", () => {
  it("pool accepts channels made by another copy of core (npm nests a second copy when versions diverge)", async () => {
    // The layout npm makes when the app pins core 0.1.1 and pool's range resolves
    // elsewhere: pool gets its own nested copy, and the app's channels come from the
    // top-level one. Channel identity is a Symbol.for brand, not instanceof.
    const nested = join(app, "node_modules", "@gochan", "pool", "node_modules", "@gochan", "core");
    cpSync(join(app, "node_modules", "@gochan", "core"), nested, { recursive: true });
    const manifest = join(nested, "package.json");
    writeFileSync(manifest, readFileSync(manifest, "utf8").replace(/"version": "[^"]*"/, '"version": "0.1.1-nested"'));
    const program = join(app, "two-copies.mjs");
    writeFileSync(
      program,
      `import { createRequire } from "node:module";
import { Chan, isChan } from "@gochan/core";
import { Dispatcher } from "@gochan/pool";
// Node 20 ignores import.meta.resolve's parent argument: resolve from pool's file instead.
const poolCore = "file://" + createRequire(import.meta.resolve("@gochan/pool")).resolve("@gochan/core");
const jobs = new Chan(10);
const seen = [];
const d = new Dispatcher(jobs, 2, async (n) => { seen.push(n); });
d.run();
for (let i = 0; i < 5; i++) await jobs.send(i);
jobs.close();
await d.done;
console.log(JSON.stringify({ twoCopies: poolCore !== import.meta.resolve("@gochan/core"), seen: seen.sort(), isChan: isChan(jobs) }));
`,
    );
    try {
      const out = JSON.parse(await mustRun(process.execPath, [program], app)) as unknown;
      expect(out).toEqual({ twoCopies: true, seen: [0, 1, 2, 3, 4], isChan: true });
    } finally {
      rmSync(join(app, "node_modules", "@gochan", "pool", "node_modules"), { recursive: true, force: true });
    }
  }, SLOW);
});

describe("the installed @gochan/core", () => {
  it("under node --enable-source-maps: stacks point at its TypeScript, and run()'s reports leave its frames out", async () => {
    const program = join(app, "source-maps.mjs");
    writeFileSync(
      program,
      `import { Chan, run } from "@gochan/core";
try { new Chan(-1); } catch (e) { console.log(e.stack.split("\\n").find((l) => l.includes("@gochan/core"))); }
run(async function stuck() { await new Chan(0, { name: "x" }).recv(); });
`,
    );
    const r = await run(process.execPath, ["--enable-source-maps", program], app);
    expect(r.stdout).toMatch(/node_modules\/@gochan\/core\/src\/errors\.ts:\d+:\d+/);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\[chan receive\]:\nreceive from chan\(x\) 0\/0\n\tat stuck \(.*source-maps\.mjs:3:\d+\)\n/);
    expect(r.stderr).not.toContain("@gochan/core");
  }, SLOW);

  it("works in a plain node ESM program: channels, select, trySelect, close and range", async () => {
    const program = join(app, "smoke.mjs");
    writeFileSync(
      program,
      `import { Chan, select, trySelect, recv, send, nilChan, SendOnClosedError } from "@gochan/core";
const out = {};
const ping = new Chan();
const sent = ping.send("ping");
out.rendezvous = await ping.recv();
await sent;
const a = new Chan(1), b = new Chan(1);
await b.send(7);
const r = await select([recv(a), recv(b), recv(nilChan())]);
out.select = [r.index, r.value, r.ok];
out.trySelectDefault = trySelect([recv(a), recv(b)]) === undefined;
out.sendCase = (await select([send(a, 1), recv(b)])).index;
a.close();
out.afterClose = [await a.recvOk(), await a.recvOk()];
try { await a.send(2); out.sendOnClosed = "no error"; }
catch (e) { out.sendOnClosed = [e instanceof SendOnClosedError, e.message]; }
const c = new Chan(3);
await c.send(1); await c.send(2); c.close();
out.range = [];
for await (const x of c) out.range.push(x);
console.log(JSON.stringify(out));
`,
    );
    const out = JSON.parse(await mustRun(process.execPath, [program], app)) as unknown;
    expect(out).toEqual({
      rendezvous: "ping",
      select: [1, 7, true],
      trySelectDefault: true,
      sendCase: 0,
      afterClose: [{ value: 1, ok: true }, { ok: false }],
      sendOnClosed: [true, "send on closed channel"],
      range: [1, 2],
    });
  }, SLOW);

  it("@gochan/core/testing runs a bubble on the same core: virtual time, a refused outside channel, a deadlock", async () => {
    const program = join(app, "synctest-smoke.mjs");
    writeFileSync(
      program,
      `import { Chan, after } from "@gochan/core";
import * as synctest from "@gochan/core/testing";
const out = {};
const outside = new Chan(1);
await synctest.test(async () => {
  out.fired = (await after(60 * 60 * 1000).recv()).toISOString();
  try { outside.trySend(1); out.cross = "accepted"; } catch (e) { out.cross = e instanceof synctest.CrossBubbleError; }
});
try { await synctest.test(() => new Chan().recv()); out.deadlock = "none"; }
catch (e) { out.deadlock = [e instanceof synctest.DeadlockError, e.message.split("\\n")[0]]; }
console.log(JSON.stringify(out));
`,
    );
    const out = JSON.parse(await mustRun(process.execPath, [program], app)) as unknown;
    expect(out).toEqual({
      fired: "2000-01-01T01:00:00.000Z",
      cross: true,
      deadlock: [true, "deadlock: all goroutines in bubble are blocked"],
    });
  }, SLOW);

  it("@gochan/redis/testing loads from its subpath and names a binary it cannot run", async () => {
    const program = join(app, "redis-testing-smoke.mjs");
    writeFileSync(
      program,
      `import { startRedisServer, RedisServerUnavailableError } from "@gochan/redis/testing";
const e = await startRedisServer({ binary: "/nonexistent/redis-server" }).catch((x) => x);
console.log(JSON.stringify([e instanceof RedisServerUnavailableError, e.binary]));
`,
    );
    expect(JSON.parse(await mustRun(process.execPath, [program], app))).toEqual([true, "/nonexistent/redis-server"]);
  }, SLOW);

  it("type-checks a TypeScript consumer against the installed declarations (NodeNext)", async () => {
    const dir = join(app, "ts-consumer");
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          lib: ["ES2022"],
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          // A Node consumer: @types/node from the workspace, nothing else.
          typeRoots: [join(ROOT, "node_modules", "@types")],
          types: ["node"],
        },
        files: ["consumer.ts"],
      }),
    );
    // Every package must resolve to real types (an unresolved import is an error
    // under strict); then @gochan/core's types must be precise, not `any`: each
    // expect-error directive in the consumer fails the compile if its line is accepted.
    const generic = PACKAGES.map(
      (p, i) =>
        `import * as pkg${i} from ${JSON.stringify(p.name)};\nexport const exports${i}: readonly string[] = Object.keys(pkg${i});`,
    ).join("\n");
    writeFileSync(
      join(dir, "consumer.ts"),
      `${generic}
import { Chan, select, recv, send, trySelect, SendOnClosedError, type RecvChan, type SendChan } from "@gochan/core";
const ch = new Chan<number>(2);
const rx: RecvChan<number> = ch;
const tx: SendChan<number> = ch;
await tx.send(1);
const v: number | undefined = await rx.recv();
// @ts-expect-error a Chan<number> carries numbers only
await ch.send("one");
// @ts-expect-error a receive-only view cannot send
await rx.send(1);
const r = await select([recv(ch), send(ch, 2)]);
if (r.index === 0 && r.ok) {
  const n: number = r.value;
  void n;
}
const t = trySelect([recv(ch)]);
export const results = [v, t, new SendOnClosedError().message];
import * as synctest from "@gochan/core/testing";
await synctest.test(async () => {}, { choices: [0, 1], start: new Date(0) });
// @ts-expect-error choices are a seed or an array of numbers
await synctest.test(async () => {}, { choices: "random" });
import { startRedisServer, type RedisServer } from "@gochan/redis/testing";
export const startServer: (options?: { appendfsync?: "always" }) => Promise<RedisServer> = startRedisServer;
// @ts-expect-error appendfsync is one of Redis's three policies
void startRedisServer({ appendfsync: "sometimes" });
`,
    );
    const r = await run(process.execPath, [TSC, "-p", join(dir, "tsconfig.json")], dir);
    expect(r.stdout + r.stderr).toBe("");
    expect(r.code).toBe(0);
  }, SLOW);
});
