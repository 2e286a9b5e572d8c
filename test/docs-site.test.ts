/**
 * The API site a user lands on (typedoc, built as `pnpm run docs` builds it):
 * its front page is the README, the guides in docs/ are pages of it titled by
 * their headings, each package's exports are grouped by concept (the groups of
 * docs/site/typedoc-plugin.mjs, in its order), and the sidebar goes straight
 * from "Modules" to the packages (no extra "@gochan" folder level).
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inflateSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GROUP_ORDER, GROUPS } from "../docs/site/typedoc-plugin.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
let out = "";
let log = "";

interface NavNode {
  text: string;
  path?: string;
  children?: NavNode[];
}

/** The text of an HTML page, tags dropped. */
const text = (html: string): string => html.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ");
/** The h2 headings of a page: the groups of a module page. */
const headings = (html: string): string[] => [...html.matchAll(/<h2[^>]*>(.*?)<\/h2>/g)].map((m) => text(m[1] as string).trim());

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), "gochan-docs-"));
  log = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      [join(ROOT, "node_modules", "typedoc", "bin", "typedoc"), "--out", out],
      { cwd: ROOT, timeout: 420_000 }, // ~20 s of CPU, but minutes of wall time on a loaded 2-core machine
      (error, stdout, stderr) => (error === null ? resolve(stdout + stderr) : reject(new Error(`${String(error)}\n${stdout}\n${stderr}`))),
    );
  });
}, 480_000);

afterAll(() => {
  if (out !== "") rmSync(out, { recursive: true, force: true });
});

describe("the API site", () => {
  it("builds without a warning or an error", () => {
    expect(log).not.toMatch(/\[(warning|error)\]/);
  });

  it("opens on the README", () => {
    const index = text(readFileSync(join(out, "index.html"), "utf8"));
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const firstParagraph = (readme.split("\n\n")[1] as string).replace(/`/g, "").replace(/\s+/g, " ").trim();
    expect(index).toContain(firstParagraph.slice(0, 60));
    expect(index).toContain("A first example");
  });

  it("has every guide in docs/ as a page titled by its first heading, linked from the README's page", () => {
    const config = JSON.parse(readFileSync(join(ROOT, "typedoc.json"), "utf8")) as { projectDocuments: string[] };
    const guides = readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md"));
    expect(config.projectDocuments.map((p) => p.replace(/^docs\//, "")).sort()).toEqual(guides.sort());
    const pages = readdirSync(join(out, "documents"));
    const index = readFileSync(join(out, "index.html"), "utf8");
    for (const guide of guides) {
      const title = (/^#\s+(.+)$/m.exec(readFileSync(join(ROOT, "docs", guide), "utf8"))?.[1] ?? "").trim();
      const page = pages.find((p) => text(readFileSync(join(out, "documents", p), "utf8")).includes(`${title} `));
      expect(page, `a page for ${guide} ("${title}")`).toBeDefined();
      expect(index, `the README links ${guide}`).toContain(`documents/${page as string}`);
    }
  });

  it("groups each package's exports by concept, in the site's order", () => {
    for (const pkg of Object.keys(GROUPS)) {
      // A package with several entry points (@gochan/core and @gochan/core/testing)
      // has a page per entry under its own; the main entry's carries its exports.
      const main = join(out, "modules", `_gochan_${pkg}._gochan_${pkg}.html`);
      const page = readFileSync(existsSync(main) ? main : join(out, "modules", `_gochan_${pkg}.html`), "utf8");
      const groups = headings(page);
      const expected = GROUP_ORDER.filter((g) => Object.values(GROUPS[pkg] ?? {}).includes(g));
      expect(groups).toEqual(expected.filter((g) => groups.includes(g)));
      expect(groups.length).toBeGreaterThanOrEqual(3);
      expect(groups).not.toContain("Classes");
      expect(groups).not.toContain("Functions");
    }
    const testing = headings(readFileSync(join(out, "modules", "_gochan_core._gochan_core_testing.html"), "utf8"));
    expect(testing).toEqual(["Testing", "Errors"]);
    const redisTesting = headings(readFileSync(join(out, "modules", "_gochan_redis._gochan_redis_testing.html"), "utf8"));
    expect(redisTesting).toEqual(["Testing"]);
  });

  it("lists the packages directly under Modules in the sidebar", () => {
    const js = readFileSync(join(out, "assets", "navigation.js"), "utf8");
    const data = /"([A-Za-z0-9+/=]{40,})"/.exec(js)?.[1] as string;
    const nav = JSON.parse(inflateSync(Buffer.from(data, "base64")).toString()) as NavNode[];
    const modules = nav.find((n) => n.text === "Modules");
    expect(modules?.children?.map((c) => c.text)).toEqual(expect.arrayContaining(["@gochan/core", "@gochan/pool"]));
    expect(nav.map((n) => n.text)).not.toContain("@gochan");
    expect(modules?.children?.map((c) => c.text)).not.toContain("@gochan");
  });
});
