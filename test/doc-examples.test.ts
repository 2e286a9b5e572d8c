/**
 * Every ```ts example in README.md and the guides under docs/ is type-checked
 * against the packages' sources, so no example rots. Each block becomes its own
 * ES module (top-level await allowed); a failure names the Markdown file and the
 * line where the block starts.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));

interface Example {
  file: string;
  line: number;
  code: string;
}

/** The ```ts / ```typescript blocks of a Markdown file, with their starting line. */
export function extractExamples(file: string, text: string): Example[] {
  const out: Example[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^\s*```(ts|typescript)\s*$/.exec(lines[i] as string);
    if (open === null) continue;
    const start = i + 1;
    const body: string[] = [];
    for (i++; i < lines.length && !/^\s*```\s*$/.test(lines[i] as string); i++) body.push(lines[i] as string);
    out.push({ file, line: start + 1, code: body.join("\n") });
  }
  return out;
}

function markdownFiles(): string[] {
  const docs = join(root, "docs");
  const files = [join(root, "README.md")];
  for (const name of readdirSync(docs)) if (name.endsWith(".md")) files.push(join(docs, name));
  return files;
}

describe("documentation examples", () => {
  it("extracts ts blocks with their line numbers", () => {
    const found = extractExamples("x.md", "text\n```ts\nconst a = 1;\n```\n```go\nx := 1\n```\n```typescript\nlet b;\n```\n");
    expect(found).toEqual([
      { file: "x.md", line: 3, code: "const a = 1;" },
      { file: "x.md", line: 9, code: "let b;" },
    ]);
  });

  it("every ts example in README.md and docs/*.md type-checks", () => {
    const examples = markdownFiles().flatMap((f) => extractExamples(relative(root, f), readFileSync(f, "utf8")));
    expect(examples.length).toBeGreaterThan(0);

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
          paths: { "@gochan/core": pkg("core"), "@gochan/pool": pkg("pool") },
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
  });
});
