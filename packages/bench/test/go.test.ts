// The Go side: parsing `go test -bench` output, finding the toolchain, and (only
// where Go is installed; CI has none) building and running one benchmark.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildGoBench, findGo, parseGoBench, parseGoFigures, runGoBench } from "../src/go.ts";
import { BENCH_DIR, FAMILIES } from "../src/main.ts";

const OUTPUT = `goos: linux
goarch: amd64
pkg: gochan.dev/bench
cpu: Intel(R) Xeon(R) Processor
BenchmarkUnbuffered          	  200000	       199.8 ns/op
BenchmarkUnbuffered-2        	  200000	       189.9 ns/op
BenchmarkSelect2             	  200000	        62.15 ns/op
BenchmarkSelect2-2           	  200000	        61.97 ns/op
BenchmarkPoolSeed-2          	  200000	       952.6 ns/op
BenchmarkSieve               	    1000	    403436 ns/op	     95606 cpu-ns/op
BenchmarkSieve-2             	    1000	    919625 ns/op	    184972.5 cpu-ns/op
PASS
`;

describe("parseGoBench", () => {
  it("reads ns/op per benchmark and GOMAXPROCS (no suffix means 1)", () => {
    expect(parseGoBench(OUTPUT, "Unbuffered", 1)).toBe(199.8);
    expect(parseGoBench(OUTPUT, "Unbuffered", 2)).toBe(189.9);
    expect(parseGoBench(OUTPUT, "Select2", 2)).toBe(61.97);
    expect(parseGoBench(OUTPUT, "PoolSeed", 2)).toBe(952.6);
  });

  it("returns null for a benchmark or GOMAXPROCS that is not there, or a prefix of a name", () => {
    expect(parseGoBench(OUTPUT, "PoolSeed", 1)).toBeNull();
    expect(parseGoBench(OUTPUT, "Buffered", 1)).toBeNull();
    expect(parseGoBench(OUTPUT, "Select", 1)).toBeNull();
    expect(parseGoBench("FAIL\n", "Unbuffered", 1)).toBeNull();
  });
});

describe("parseGoFigures", () => {
  it("reads the cpu-ns/op metric where a benchmark reports it", () => {
    expect(parseGoFigures(OUTPUT, "Sieve", 1)).toEqual({ ns: 403436, cpu: 95606 });
    expect(parseGoFigures(OUTPUT, "Sieve", 2)).toEqual({ ns: 919625, cpu: 184972.5 });
    expect(parseGoFigures(OUTPUT, "Unbuffered", 2)).toEqual({ ns: 189.9 });
    expect(parseGoFigures(OUTPUT, "Sieve", 4)).toBeNull();
  });
});

describe("the Go toolchain", () => {
  it("is reported missing when go is not on PATH", () => {
    expect(findGo({ PATH: join(tmpdir(), "no-such-dir") })).toEqual({ ok: false, reason: "no Go toolchain on PATH" });
  });

  it("builds and runs one benchmark when go is on PATH (else says there is none)", () => {
    const go = findGo();
    if (!go.ok) {
      expect(go.reason).toBe("no Go toolchain on PATH");
      return;
    }
    const out = mkdtempSync(join(tmpdir(), "gochan-go-"));
    try {
      const b = buildGoBench(join(BENCH_DIR, "go"), out);
      if (!b.ok) throw new Error(b.reason);
      const r = runGoBench(b.binary, "Unbuffered", 2, 1000, "ns/msg");
      if (r.status !== "ok") throw new Error(`${r.status}: ${r.reason}`);
      expect(r.measurement.unit).toBe("ns/msg");
      expect(r.measurement.value).toBeGreaterThan(0);
      expect(runGoBench(b.binary, "NoSuchBench", 1, 10, "ns/msg").status).toBe("error");
      // A Go program reports its CPU time too.
      const sieve = runGoBench(b.binary, "Sieve", 1, 50, "ns/prime");
      if (sieve.status !== "ok") throw new Error(`${sieve.status}: ${sieve.reason}`);
      expect(sieve.measurement.extra?.["cpu"]).toBeGreaterThan(0);
      // Every Go benchmark a workload names runs and checks what it moved (a wrong sum is
      // b.Fatalf, so an error here), with more jobs than the bounded queue holds.
      const benches = FAMILIES.flatMap((f) => f.workloads).flatMap((w) => (w.go ?? []).map((g) => [w, g.bench] as const));
      expect(benches.map(([, bench]) => bench)).toEqual(expect.arrayContaining(["PoolSeed", "PoolSeedBounded", "PoolSharedQueueBounded", "PoolSerial", "PoolGroup"]));
      for (const [w, bench] of benches.filter(([w]) => w.id.startsWith("pool"))) {
        const r = runGoBench(b.binary, bench, 2, 1500, w.unit);
        expect(r.status, `${bench}: ${r.status === "ok" ? "" : r.reason}`).toBe("ok");
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);
});
