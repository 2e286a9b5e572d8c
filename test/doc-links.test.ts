/**
 * Every relative link in README.md, the guides under docs/ and the packages'
 * READMEs (plus every link into this repository by its address) points at a file
 * (or folder) that exists, and at a heading that exists when it has a #fragment
 * into a Markdown file. A link written [`file` › `test name`](path/to/file) is
 * a claim that a test proves something: the named test must be an it()/test()
 * in the linked file, with exactly that name, and `file` must be that file's name.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));

export interface Link {
  /** The Markdown file, relative to the repository root. */
  file: string;
  /** 1-based line of the link. */
  line: number;
  /** The link text, as written. */
  text: string;
  /** The target, as written. */
  target: string;
}

/**
 * The inline links of a Markdown document, outside fenced code blocks and code
 * spans. Link text may contain code spans, and brackets inside them do not end
 * the text (as in CommonMark).
 */
export function extractLinks(file: string, markdown: string): Link[] {
  const out: Link[] = [];
  const lines = markdown.split("\n");
  let fence: string | null = null;
  const linkRe = /\[((?:`[^`]*`|[^\]`])*)\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+"[^"]*")?\s*\)|`[^`]*`/g;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const f = /^\s*(```+|~~~+)/.exec(line);
    if (f !== null) {
      const marker = f[1] as string;
      if (fence === null) fence = marker;
      else if (marker.startsWith(fence) && line.trim() === marker) fence = null;
      continue;
    }
    if (fence !== null) continue;
    for (const m of line.matchAll(linkRe)) {
      if (m[2] === undefined) continue; // a code span outside any link
      const target = m[2].startsWith("<") ? m[2].slice(1, -1) : m[2];
      out.push({ file, line: i + 1, text: m[1] as string, target });
    }
  }
  return out;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, "")
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** The anchors of a Markdown document's headings, with GitHub's -1, -2 suffixes for repeats. */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  let inFence = false;
  for (const line of markdown.split("\n")) {
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    if (inFence) continue;
    const h = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (h === null) continue;
    const base = slug(h[1] as string);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** The names given to it(), test() and their .each forms in a test file's source. */
export function testNames(source: string): Set<string> {
  const names = new Set<string>();
  const re = /\b(?:it|test)(?:\.each\([\s\S]*?\))?\(\s*(["'`])((?:\\.|(?!\1)[^\\])*)\1/g;
  for (const m of source.matchAll(re)) names.add((m[2] as string).replace(/\\(.)/g, "$1"));
  return names;
}

/** The content of a code span, as CommonMark reads it: one space stripped from each end if both have one. */
function spanContent(raw: string): string {
  return raw.length > 2 && raw.startsWith(" ") && raw.endsWith(" ") && raw.trim() !== "" ? raw.slice(1, -1) : raw;
}

/**
 * A test reference in link text: `file` › `test name`. A name that contains
 * backticks is written in a double-backtick span: ``it's `quoted` ``.
 */
export function testReference(text: string): { file: string; name: string } | null {
  const m = /^(`+)(?!`)(.*?[^`])\1 › (`+)(?!`)(.*[^`])\3$/.exec(text.trim());
  return m === null ? null : { file: spanContent(m[2] as string), name: spanContent(m[4] as string) };
}

/** The repository's address, from package.json's `repository` (links to it must resolve to files here). */
const REPO = (
  JSON.parse(readFileSync(join(root, "packages", "core", "package.json"), "utf8")) as { repository: { url: string } }
).repository.url.replace(/^git\+/, "").replace(/\.git$/, "");

/** A link into this repository's main branch, as a path relative to the repository root, or null. */
export function repoPath(target: string): string | null {
  for (const kind of ["blob", "tree"]) {
    const prefix = `${REPO}/${kind}/main/`;
    if (target.startsWith(prefix)) return target.slice(prefix.length);
  }
  return null;
}

function isExternal(target: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("//");
}

/** What is wrong with one link, or null. */
function check(link: Link, sources: Map<string, string>): string | null {
  const inRepo = repoPath(link.target);
  if (inRepo === null && isExternal(link.target)) return null;
  const [pathPart, fragment] = (inRepo ?? link.target).split("#", 2) as [string, string | undefined];
  const from = join(root, link.file);
  const path =
    pathPart === "" ? from : inRepo !== null ? join(root, decodeURIComponent(pathPart)) : resolve(dirname(from), decodeURIComponent(pathPart));
  const where = `${link.file}:${link.line}: [${link.text}](${link.target})`;
  // A package's README is also its npm page, where only the package's own files exist.
  const pkg = /^packages\/[^/]+\//.exec(link.file)?.[0];
  if (pkg !== undefined && inRepo === null && !relative(join(root, pkg), path).match(/^[^.]/)) {
    return `${where}: leaves the package, so it breaks on the npm page; link to ${REPO}/blob/main/... instead`;
  }
  if (!existsSync(path)) return `${where}: ${relative(root, path)} does not exist`;
  const isFile = statSync(path).isFile();
  if (fragment !== undefined && fragment !== "" && isFile && path.endsWith(".md")) {
    const text = sources.get(path) ?? readFileSync(path, "utf8");
    sources.set(path, text);
    if (!anchors(text).has(fragment)) return `${where}: no heading #${fragment} in ${relative(root, path)}`;
  }
  const ref = testReference(link.text);
  if (ref !== null) {
    if (!isFile) return `${where}: a test reference must link to a test file`;
    if (ref.file !== basename(path)) return `${where}: the text names ${ref.file} but the link goes to ${basename(path)}`;
    const text = sources.get(path) ?? readFileSync(path, "utf8");
    sources.set(path, text);
    if (!testNames(text).has(ref.name)) return `${where}: no test named "${ref.name}" in ${relative(root, path)}`;
  }
  return null;
}

function markdownFiles(): string[] {
  const docs = join(root, "docs");
  const files = [join(root, "README.md")];
  for (const name of readdirSync(docs)) if (name.endsWith(".md")) files.push(join(docs, name));
  for (const pkg of readdirSync(join(root, "packages"))) {
    const readme = join(root, "packages", pkg, "README.md");
    if (existsSync(readme)) files.push(readme);
  }
  return files;
}

describe("documentation links", () => {
  it("extracts links outside code, with code spans (and brackets in them) inside link text", () => {
    const md = [
      "See [the guide](docs/a.md#part-one) and `[not](a-link.md)`.",
      "```ts",
      "const x = [a](b.md);",
      "```",
      "Proved by [`chan.test.ts` › `item 23: select([]) blocks`](../t/chan.test.ts) and [web](https://x.y/z).",
    ].join("\n");
    expect(extractLinks("d.md", md)).toEqual([
      { file: "d.md", line: 1, text: "the guide", target: "docs/a.md#part-one" },
      { file: "d.md", line: 5, text: "`chan.test.ts` › `item 23: select([]) blocks`", target: "../t/chan.test.ts" },
      { file: "d.md", line: 5, text: "web", target: "https://x.y/z" },
    ]);
  });

  it("computes GitHub's heading anchors, numbering repeats", () => {
    expect(slug("Go to TypeScript: the `zero` option")).toBe("go-to-typescript-the-zero-option");
    expect(slug("1. Capacity (make)")).toBe("1-capacity-make");
    expect([...anchors("# A\n## B b\n```\n# not a heading\n```\n## A\n")]).toEqual(["a", "b-b", "a-1"]);
  });

  it("finds the names of it(), test() and it.each() tests, and parses test references", () => {
    const src = [
      'it("item 1: a \\"quoted\\" name", () => {});',
      "test('single quoted', () => {});",
      'it.each([0, 1])("capacity %i: works", (c) => {});',
      'describe("a suite", () => {});',
      'const notATest = "just a string";',
    ].join("\n");
    expect([...testNames(src)]).toEqual(['item 1: a "quoted" name', "single quoted", "capacity %i: works"]);
    expect(testReference("`chan.test.ts` › `item 7: rendezvous`")).toEqual({ file: "chan.test.ts", name: "item 7: rendezvous" });
    expect(testReference("``go.test.ts`` › `` args of Go's `go f(x)` ``")).toEqual({ file: "go.test.ts", name: "args of Go's `go f(x)`" });
    expect(testReference("the guide")).toBeNull();
  });

  it("maps links into this repository to its files, and only those", () => {
    expect(repoPath(`${REPO}/blob/main/docs/semantics.md#close`)).toBe("docs/semantics.md#close");
    expect(repoPath(`${REPO}/tree/main/packages/core`)).toBe("packages/core");
    expect(repoPath("https://example.com/blob/main/x.md")).toBeNull();
  });

  it("every relative link in README.md and docs/*.md resolves, and every named test exists in its file", () => {
    const links = markdownFiles().flatMap((f) => extractLinks(relative(root, f), readFileSync(f, "utf8")));
    const sources = new Map<string, string>();
    const problems = links.map((l) => check(l, sources)).filter((p): p is string => p !== null);
    expect(problems).toEqual([]);
    // The guides do cite tests; an extractor that found none would make this test vacuous.
    expect(links.filter((l) => testReference(l.text) !== null).length).toBeGreaterThan(35);
  });
});
