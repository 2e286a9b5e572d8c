/**
 * The shared channels in a real browser: headless Chromium (Debian's, driven
 * by puppeteer-core) loads a page from a local server that sends the
 * cross-origin isolation headers; the page and two Web Workers exchange values
 * over SharedChans. The bundles are built by esbuild for the browser from the
 * package's own name, so they take the `default` export condition
 * (dist/web.js: build first) and fail to build if that graph imports Node.
 * Without Chromium the test is skipped locally and fails under CI=true.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { launch, type Browser } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ExchangeReport } from "./fixtures/web/page.ts";

/** Debian's chromium, or the one named by CHROMIUM_PATH. */
function findChromium(): string | null {
  const named = process.env.CHROMIUM_PATH;
  if (named !== undefined && named !== "") return named;
  for (const bin of ["chromium", "chromium-browser", "google-chrome"]) {
    try {
      return execFileSync("sh", ["-c", `command -v ${bin}`], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    } catch {
      // not on PATH
    }
  }
  return null;
}

const chromium = findChromium();
const ci = process.env.CI === "true";
const packageDir = fileURLToPath(new URL("..", import.meta.url));
const fixtures = fileURLToPath(new URL("./fixtures/web/", import.meta.url));
const N = 100;

const HTML = `<!doctype html><meta charset="utf-8"><script type="module" src="./page.js"></script>`;
/** The relay worker: as a browser without Atomics.waitAsync, so it runs on the polling stand-in. */
const POLLING_WORKER = `delete Atomics.waitAsync; await import("./worker.js");`;

describe.skipIf(chromium === null && !ci)("SharedChan in a browser (page + 2 Web Workers)", () => {
  let server: Server | undefined;
  let base: string;
  let browser: Browser | undefined;

  beforeAll(async () => {
    if (chromium === null || !existsSync(chromium)) {
      throw new Error(`no chromium (${String(chromium)}), and under CI=true this test must run: install Debian's chromium (.ci/run does) or set CHROMIUM_PATH`);
    }
    const out = await build({
      entryPoints: { page: `${fixtures}page.ts`, worker: `${fixtures}worker.ts` },
      bundle: true,
      format: "esm",
      platform: "browser",
      target: "es2022",
      write: false,
      outdir: "/bundle",
      metafile: true,
      absWorkingDir: packageDir,
      logLevel: "silent",
    });
    // The package resolved through its exports, browser side: dist/web.js, nothing of Node.
    const inputs = Object.keys(out.metafile.inputs);
    expect(inputs).toContain("dist/web.js");
    expect(inputs.filter((p) => p.startsWith("node:") || p.includes("thread-pool"))).toEqual([]);
    const files = new Map<string, string>([
      ["/", HTML],
      ["/favicon.ico", ""],
      ["/plain/", HTML],
      ["/worker-polling.js", POLLING_WORKER],
    ]);
    for (const f of out.outputFiles) files.set(f.path.slice("/bundle".length), f.text);
    for (const f of ["/page.js", "/worker.js"]) files.set(`/plain${f}`, files.get(f) as string);
    const srv = createServer((req, res) => {
      const path = new URL(req.url ?? "/", "http://x").pathname;
      const body = files.get(path);
      if (body === undefined) return void res.writeHead(404).end();
      const headers: Record<string, string> = { "content-type": path.endsWith("/") ? "text/html" : "text/javascript" };
      // /plain/ is the same page without cross-origin isolation.
      if (!path.startsWith("/plain/")) {
        headers["cross-origin-opener-policy"] = "same-origin";
        headers["cross-origin-embedder-policy"] = "require-corp";
      }
      res.writeHead(200, headers).end(body);
    });
    server = srv;
    await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
    browser = await launch({ executablePath: chromium, headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
  });

  afterAll(async () => {
    await browser?.close();
    const srv = server;
    if (srv !== undefined) await new Promise((resolve) => srv.close(resolve));
  });

  async function open(path: string): Promise<import("puppeteer-core").Page> {
    const page = await (browser as Browser).newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("console", (m) => console.log(`[browser] ${m.text()}`));
    await page.goto(`${base}${path}`);
    await page.waitForFunction("typeof globalThis.notIsolated === 'function'");
    expect(errors).toEqual([]);
    return page;
  }

  it("unbuffered, buffered, select and close: every value arrives once, in order, across page and workers", async () => {
    const page = await open("/");
    const r = (await page.evaluate(`runExchange(${N})`)) as ExchangeReport;
    expect(r.isolated).toBe(true);
    expect(r.workers).toEqual([
      { role: "producer", polling: false, error: null },
      { role: "relay", polling: true, error: null },
    ]);
    const want = Array.from({ length: N }, (_, i) => ({ i, sq: String(BigInt(i) ** 2n), tags: [`t${i}`] }));
    expect(r.results).toEqual(want);
    expect(r.side).toEqual(Array.from({ length: N }, (_, i) => `side ${i}`));
    await page.close();
  });

  it("refuses what the browser codec cannot send by name, and keeps the channel usable", async () => {
    const page = await open("/");
    const r = (await page.evaluate("refusals()")) as { fn: string[]; float16: string[] | null; trySendClosed: string };
    expect(r.fn.slice(0, 2)).toEqual(["UncloneableValueError", "value.onDone"]);
    expect(r.fn[2]).toContain("function onDone");
    if (r.float16 !== null) {
      expect(r.float16.slice(0, 2)).toEqual(["UncloneableValueError", "value.samples"]);
      expect(r.float16[2]).toContain("Float16Array");
    }
    expect(r.trySendClosed).toBe("SendOnClosedError: send on closed channel; buffered before: true");
    await page.close();
  });

  it("says what is missing on a page that is not cross-origin isolated", async () => {
    const page = await open("/plain/");
    expect(await page.evaluate("crossOriginIsolated")).toBe(false);
    expect(await page.evaluate("notIsolated()")).toMatch(/^TypeError: .*Cross-Origin-Opener-Policy: same-origin.*Cross-Origin-Embedder-Policy: require-corp/);
    await page.close();
  });
});
