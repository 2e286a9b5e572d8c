import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Unit tests run against the sources: @gochan/* resolve to each package's src/.
// The packed-artifact tests in test/ import the built tarballs instead.
const src = (pkg: string): string => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));
const alias = {
  // Before "@gochan/core", which would otherwise match as a prefix.
  "@gochan/core/testing": fileURLToPath(new URL("./packages/core/src/testing/index.ts", import.meta.url)),
  "@gochan/redis/testing": fileURLToPath(new URL("./packages/redis/src/testing/index.ts", import.meta.url)),
  "@gochan/core/internal": fileURLToPath(new URL("./packages/core/src/internal/index.ts", import.meta.url)),
  "@gochan/core": src("core"),
  "@gochan/pool": src("pool"),
  "@gochan/threads": src("threads"),
  "@gochan/redis": src("redis"),
};

export default defineConfig({
  test: {
    // Property tests explore many interleavings; keep the defaults generous but bounded.
    testTimeout: 60_000,
    // The JSON report feeds .ci/summary.mjs, which prints CI's closing "N passed, N failed" line.
    reporters: ["default", ["json", { outputFile: "node_modules/.cache/vitest-report.json" }]],
    hookTimeout: 60_000,
    projects: [
      { extends: true, resolve: { alias }, test: { name: "core", root: "packages/core", include: ["test/**/*.test.ts"] } },
      { extends: true, resolve: { alias }, test: { name: "pool", root: "packages/pool", include: ["test/**/*.test.ts"] } },
      { extends: true, resolve: { alias }, test: { name: "threads", root: "packages/threads", include: ["test/**/*.test.ts"] } },
      { extends: true, resolve: { alias }, test: { name: "redis", root: "packages/redis", include: ["test/**/*.test.ts"] } },
      { extends: true, resolve: { alias }, test: { name: "demo", root: "packages/demo", include: ["test/**/*.test.ts"] } },
      { extends: true, resolve: { alias }, test: { name: "bench", root: "packages/bench", include: ["test/**/*.test.ts"] } },
      { extends: true, resolve: { alias }, test: { name: "workspace", root: "test", include: ["**/*.test.ts"] } },
    ],
  },
});
