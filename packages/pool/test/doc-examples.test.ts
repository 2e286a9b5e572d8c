/**
 * Every ```ts block in the doc comments of packages/pool/src (the @example
 * blocks and the seed's side-by-side ports) type-checks against the sources,
 * so the examples the API docs and guides are built from cannot rot.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const src = join(root, "packages", "pool", "src");

interface Example {
  where: string;
  code: string;
}

/** The ```ts blocks inside `/** ... *\/` comments, with the line they start on. */
function examplesOf(file: string, text: string): Example[] {
  const out: Example[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*\*\s*```ts\s*$/.test(lines[i] as string)) continue;
    const start = i + 2;
    const body: string[] = [];
    for (i++; i < lines.length && !/^\s*\*\s*```\s*$/.test(lines[i] as string); i++) {
      body.push((lines[i] as string).replace(/^\s*\* ?/, ""));
    }
    out.push({ where: `${file}:${start}`, code: body.join("\n") });
  }
  return out;
}

describe("doc comment examples", () => {
  it("every ts block in the pool's doc comments type-checks", () => {
    const examples = readdirSync(src)
      .filter((f) => f.endsWith(".ts"))
      .flatMap((f) => examplesOf(`src/${f}`, readFileSync(join(src, f), "utf8")));
    expect(examples.length).toBeGreaterThan(30);
    const dir = join(root, "node_modules", ".cache", "pool-doc-examples");
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module", private: true }));
    examples.forEach((ex, n) => writeFileSync(join(dir, `example-${n}.ts`), `${ex.code}\nexport {};\n`));
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
    const located = output.replace(/(?:\S*pool-doc-examples\/)?example-(\d+)\.ts\((\d+),(\d+)\)/g, (_m, n: string, line: string) => {
      const ex = examples[Number(n)] as Example;
      return `${ex.where} +${Number(line) - 1}`;
    });
    expect(located).toBe("");
    rmSync(dir, { recursive: true, force: true });
  });
});
