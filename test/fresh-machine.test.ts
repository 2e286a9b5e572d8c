/**
 * The commands the README and guides show work as written on a fresh machine of
 * our kind: Node and npm only, no global pnpm, an empty npm cache, npm's config
 * saying `yes=false` (so `npx pkg` never installs without `--yes`), stdin closed,
 * CI=true or not.
 *
 * What once broke: `npx pnpm@10 install` was refused at once ("npx canceled due to
 * missing packages and no YES option") wherever pnpm was not already cached, so
 * both README commands and CI failed on a new machine while passing on ours; and
 * `pnpm docs` ran pnpm's built-in `docs` command (which opens a web page) instead
 * of the script.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  packageManager: string;
  scripts: Record<string, string>;
};
const PINNED = manifest.packageManager;

/** Every Markdown file a user reads: the READMEs and the guides. */
function userDocs(): string[] {
  const files = ["README.md"];
  for (const f of readdirSync(join(ROOT, "docs"))) if (f.endsWith(".md")) files.push(join("docs", f));
  for (const p of readdirSync(join(ROOT, "packages"))) {
    try {
      readFileSync(join(ROOT, "packages", p, "README.md"));
      files.push(join("packages", p, "README.md"));
    } catch {
      // a package without a README
    }
  }
  return files;
}

/** Every shell command a document shows: lines of sh/bash blocks and inline code spans. */
function commands(file: string): { where: string; command: string }[] {
  const out: { where: string; command: string }[] = [];
  const lines = readFileSync(join(ROOT, file), "utf8").split("\n");
  let shell = false;
  let fenced = false;
  lines.forEach((line, i) => {
    const fence = /^\s*```(\w*)/.exec(line);
    if (fence !== null) {
      fenced = !fenced;
      shell = fenced && /^(sh|bash|shell|console)?$/.test(fence[1] as string);
      return;
    }
    const where = `${file}:${i + 1}`;
    if (fenced) {
      if (shell && !/^\s*#/.test(line) && line.trim() !== "") out.push({ where, command: line.replace(/\s+#.*$/, "").trim() });
      return;
    }
    for (const m of line.matchAll(/`([^`]+)`/g)) out.push({ where, command: (m[1] as string).trim() });
  });
  return out;
}

/** Runs a command with the given environment and stdin closed; never rejects. */
function run(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { cwd: tmpdir(), env, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, out: stdout + stderr });
    });
    child.stdin?.end();
  });
}

/** This process's environment without npm's and pnpm's own variables (a runner's config would leak in). */
function cleanEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(npm_|pnpm_|COREPACK_)/i.test(k)) env[k] = v;
  return { ...env, ...extra };
}

describe("the commands users are shown", () => {
  const all = userDocs().flatMap(commands);

  it("finds the README's commands (an extractor that found none would make these checks vacuous)", () => {
    expect(all.filter((c) => c.command.includes("npx")).length).toBeGreaterThan(5);
    expect(PINNED).toMatch(/^pnpm@\d+\.\d+\.\d+$/);
  });

  it("every npx command says --yes and runs exactly the pinned pnpm", () => {
    const bad = all
      .filter((c) => /(^|\s|&&\s*)npx\s/.test(c.command))
      .flatMap((c) =>
        [...c.command.matchAll(/npx\s+((?:--?[\w-]+\s+)*)([^-\s]\S*)/g)]
          .filter((m) => !/(^|\s)(--yes|-y)(\s|$)/.test(m[1] as string) || ((m[2] as string).startsWith("pnpm") && m[2] !== PINNED))
          .map((m) => `${c.where}: ${m[0]}`),
      );
    expect(bad).toEqual([]);
  });

  it("no command needs a global pnpm, or names a script that pnpm shadows with a built-in", () => {
    // `pnpm docs` is pnpm's own `docs` command; scripts named like built-ins need `run`.
    const builtins = new Set(["docs", "home", "repo", "bugs", "help", "info", "view", "publish", "pack", "version"]);
    const bad = all
      .filter((c) => /^pnpm\s/.test(c.command) || /(^|&&\s*)pnpm\s/.test(c.command))
      .map((c) => `${c.where}: ${c.command}`);
    const shadowed = all
      .flatMap((c) => [...c.command.matchAll(/pnpm(?:@[\d.]+)?\s+([\w:-]+)/g)].map((m) => ({ c, name: m[1] as string })))
      .filter(({ name }) => builtins.has(name) && name in manifest.scripts)
      .map(({ c }) => `${c.where}: ${c.command}`);
    expect([...bad, ...shadowed]).toEqual([]);
  });

  it("CI runs the README's own test command", () => {
    const ci = readFileSync(join(ROOT, ".ci", "run"), "utf8").trim().split("\n");
    const last = (ci[ci.length - 1] as string).trim();
    expect(last).toBe(`npx --yes ${PINNED} install && npx --yes ${PINNED} test`);
    expect(readFileSync(join(ROOT, "README.md"), "utf8")).toContain(last);
  });

  it.each([
    ["CI=true", { CI: "true" }],
    ["no CI variable", {}],
  ] as const)(
    "the pinned pnpm starts through npx with an empty npm cache, yes=false and stdin closed (%s)",
    async (_label, ci) => {
      const cache = mkdtempSync(join(tmpdir(), "gochan-npx-cache-"));
      try {
        const env = cleanEnv({ ...ci, npm_config_cache: cache, npm_config_yes: "false", npm_config_update_notifier: "false" });
        if (!("CI" in ci)) delete env["CI"];
        // The form the README uses works...
        const ok = await run("npx", ["--yes", PINNED, "--version"], env);
        expect(ok.out.trim().split("\n").pop()).toBe(PINNED.slice("pnpm@".length));
        expect(ok.code).toBe(0);
        // ...and the check is real: the old form is refused on the same machine.
        const fresh = mkdtempSync(join(tmpdir(), "gochan-npx-cache-"));
        try {
          const refused = await run("npx", [PINNED, "--version"], { ...env, npm_config_cache: fresh });
          expect(refused.code).not.toBe(0);
          expect(refused.out).toMatch(/canceled|YES option/i);
        } finally {
          rmSync(fresh, { recursive: true, force: true });
        }
      } finally {
        rmSync(cache, { recursive: true, force: true });
      }
    },
    180_000,
  );
});
