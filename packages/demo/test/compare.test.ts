/** The comparison script's pure parts: flags, the request body, the median table. (The run itself is a script, not a test.) */
import { describe, expect, it } from "vitest";
import { bodyOf, parseCompareArgs, renderTable, type Measurement } from "../src/compare.js";

describe("parseCompareArgs", () => {
  it("defaults to 3 rounds of 20 s at 1, 10 and 100 payloads per request over 32 connections, with Go", () => {
    expect(parseCompareArgs([])).toEqual({ durationMs: 20_000, rounds: 3, connections: 32, perRequest: [1, 10, 100], go: true });
  });

  it("reads every flag, and --quick shrinks the run", () => {
    expect(parseCompareArgs(["--duration=5s", "--rounds", "2", "--connections", "8", "--per-request", "10,100", "--no-go"])).toEqual({
      durationMs: 5000,
      rounds: 2,
      connections: 8,
      perRequest: [10, 100],
      go: false,
    });
    expect(parseCompareArgs(["--quick"])).toMatchObject({ durationMs: 2000, rounds: 1, connections: 8 });
  });

  it("refuses a bad flag, naming it", () => {
    expect(() => parseCompareArgs(["--rounds", "0"])).toThrow('--rounds must be a positive integer, got "0"');
    expect(() => parseCompareArgs(["--per-request", "1,x"])).toThrow('--per-request must be a positive integer, got "x"');
    expect(() => parseCompareArgs(["--fast"])).toThrow('unknown option "--fast"');
  });
});

describe("bodyOf", () => {
  it("carries the asked number of payloads of about 200 bytes each", () => {
    const doc = JSON.parse(bodyOf(10)) as { payloads: { id: number }[] };
    expect(doc.payloads.map((p) => p.id)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(bodyOf(10).length / 10).toBeGreaterThan(180);
    expect(bodyOf(10).length / 10).toBeLessThan(220);
  });
});

describe("renderTable", () => {
  const m = (server: "gochan" | "seed", perRequest: number, stored: number, extra: Partial<Measurement> = {}): Measurement => ({
    server,
    perRequest,
    requestsPerMinute: 1e6,
    acknowledgedPerMinute: 2e6,
    storedPerMinute: stored,
    p50Ms: 1,
    p99Ms: 9,
    peakRssBytes: 100 * 2 ** 20,
    acknowledged: 1000,
    storedAfterDrain: 1000,
    drainSeconds: 0.5,
    loadSeconds: 20,
    ...extra,
  });

  it("gives the median of the rounds per batch size and server, and ours-to-seed ratios of stored payloads", () => {
    const table = renderTable([
      m("gochan", 10, 3e6),
      m("gochan", 10, 5e6),
      m("gochan", 10, 4e6),
      m("seed", 10, 1e6),
      m("seed", 10, 3e6),
      m("seed", 10, 2e6, { storedAfterDrain: 500 }),
    ]).split("\n");
    expect(table).toHaveLength(4);
    expect(table[2]).toBe("| 10 | @gochan/demo (Node) | 1.00M | 2.00M | 4.00M | 2.00x | 1.0 | 9.0 | 100 MiB | 100% (0.5 s) |");
    expect(table[3]).toBe("| 10 | seed (Go) | 1.00M | 2.00M | 2.00M |  | 1.0 | 9.0 | 100 MiB | 100% (0.5 s) |");
  });

  it("has no ratio without seed rows", () => {
    expect(renderTable([m("gochan", 1, 3e6)]).split("\n")[2]).toContain("| 3.00M |  |");
  });
});
