/**
 * Every ```ts example is type-checked against the packages' sources, so no
 * example rots: the blocks of the READMEs and the guides under docs/, and the
 * blocks inside the doc comments of packages/core/src, packages/pool/src and packages/threads/src
 * (the `@example`s the API reference is built from). Each block becomes its own
 * ES module (top-level await allowed), all checked by one tsc run; a failure
 * names the file and the line where the block starts.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));

interface Example {
  file: string;
  line: number;
  code: string;
}

/**
 * The ```ts / ```typescript blocks of a Markdown file, or of the doc comments of
 * a source file (`inComments`: lines start with ` * `, which is stripped), with
 * the line each block's code starts on.
 */
export function extractExamples(file: string, text: string, inComments = false): Example[] {
  const prefix = inComments ? String.raw`\s*\*` : "";
  const opening = new RegExp(`^${prefix}\\s*\`\`\`(ts|typescript)\\s*$`);
  const closing = new RegExp(`^${prefix}\\s*\`\`\`\\s*$`);
  const out: Example[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (!opening.test(lines[i] as string)) continue;
    const start = i + 1;
    const body: string[] = [];
    for (i++; i < lines.length && !closing.test(lines[i] as string); i++) {
      const line = lines[i] as string;
      body.push(inComments ? line.replace(/^\s*\* ?/, "") : line);
    }
    out.push({ file, line: start + 1, code: body.join("\n") });
  }
  return out;
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

function sourceFiles(): string[] {
  return ["core", "pool", "threads", "redis"].flatMap((pkg) => {
    const src = join(root, "packages", pkg, "src");
    return readdirSync(src, { recursive: true, encoding: "utf8" })
      .filter((name) => name.endsWith(".ts"))
      .map((name) => join(src, name));
  });
}

describe("documentation examples", () => {
  it("extracts ts blocks with their line numbers", () => {
    const found = extractExamples("x.md", "text\n```ts\nconst a = 1;\n```\n```go\nx := 1\n```\n```typescript\nlet b;\n```\n");
    expect(found).toEqual([
      { file: "x.md", line: 3, code: "const a = 1;" },
      { file: "x.md", line: 9, code: "let b;" },
    ]);
  });

  it("extracts ts blocks from doc comments, without the comment's leading stars", () => {
    const found = extractExamples("x.ts", "/**\n * @example\n * ```ts\n * const a = 1;\n *   f(a);\n * ```\n */\n", true);
    expect(found).toEqual([{ file: "x.ts", line: 4, code: "const a = 1;\n  f(a);" }]);
  });

  it("every ts example in README.md, docs/*.md and the packages' doc comments type-checks", () => {
    const examples = [
      ...markdownFiles().flatMap((f) => extractExamples(relative(root, f), readFileSync(f, "utf8"))),
      ...sourceFiles().flatMap((f) => extractExamples(relative(root, f), readFileSync(f, "utf8"), true)),
    ];
    // README, the guides, and the doc comments of both packages all contribute.
    expect(examples.filter((e) => e.file.endsWith(".md")).length).toBeGreaterThan(20);
    expect(examples.filter((e) => e.file.startsWith("packages/core")).length).toBeGreaterThan(40);
    expect(examples.filter((e) => e.file.startsWith("packages/pool")).length).toBeGreaterThan(30);
    expect(examples.filter((e) => e.file.startsWith("packages/threads")).length).toBeGreaterThan(20);

    const dir = join(root, "node_modules", ".cache", "doc-examples");
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module", private: true }));
    const names = new Map<string, Example>();
    examples.forEach((ex, n) => {
      const name = `example-${n}.ts`;
      names.set(name, ex);
      writeFileSync(join(dir, name), `${ex.code}\nexport {};\n`);
    });
    const pkg = (p: string): string[] => [join(root, "packages", p, "src", "index.ts")];
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        extends: join(root, "tsconfig.base.json"),
        compilerOptions: {
          noEmit: true,
          types: ["node"],
          typeRoots: [join(root, "node_modules", "@types")],
          declaration: false,
          declarationMap: false,
          noUnusedLocals: false,
          paths: {
            "@gochan/core": pkg("core"),
            "@gochan/core/testing": [join(root, "packages", "core", "src", "testing", "index.ts")],
            "@gochan/core/internal": [join(root, "packages", "core", "src", "internal", "index.ts")],
            "@gochan/pool": pkg("pool"),
            "@gochan/threads": pkg("threads"),
            "@gochan/redis": pkg("redis"),
            "@gochan/redis/testing": [join(root, "packages", "redis", "src", "testing", "index.ts")],
          },
        },
        include: ["*.ts"],
      }),
    );
    let output = "";
    try {
      execFileSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", dir], {
        encoding: "utf8",
        stdio: "pipe",
      });
    } catch (e) {
      output = String((e as { stdout?: string }).stdout ?? e);
    }
    // Point each error at the Markdown file and line it came from.
    const located = output.replace(/(?:\S*doc-examples\/)?example-(\d+)\.ts\((\d+),(\d+)\)/g, (_m, n: string, line: string, col: string) => {
      const ex = names.get(`example-${n}.ts`) as Example;
      return `${ex.file}:${ex.line + Number(line) - 1}:${col}`;
    });
    expect(located).toBe("");
    rmSync(dir, { recursive: true, force: true });
  }, 300_000); // one tsc over every example: ~25 s of CPU, more wall time on a loaded machine
});
