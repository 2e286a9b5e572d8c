/** The circuit breaker's states and transitions, on a fake clock, and against a model. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CircuitBreaker, type BreakerState } from "../src/circuit-breaker.js";

function withClock(failures: number, cooldownMs: number): { breaker: CircuitBreaker; advance: (ms: number) => void } {
  let now = 1_000;
  const breaker = new CircuitBreaker({ failures, cooldownMs, now: () => now });
  return { breaker, advance: (ms) => (now += ms) };
}

describe("CircuitBreaker", () => {
  it("opens after the threshold of consecutive failures; a success in between resets the count", () => {
    const { breaker } = withClock(3, 100);
    breaker.failure();
    breaker.failure();
    breaker.success();
    breaker.failure();
    breaker.failure();
    expect(breaker.state()).toBe("closed");
    expect(breaker.tryAdmit()).toBe(true);
    breaker.failure();
    expect(breaker.state()).toBe("open");
    expect(breaker.tryAdmit()).toBe(false);
    expect(breaker.openedCount).toBe(1);
  });

  it("half-opens after the cool-down, admits one probe, and closes on a success", () => {
    const { breaker, advance } = withClock(1, 100);
    breaker.failure();
    advance(60);
    expect(breaker.remainingMs()).toBe(40);
    expect(breaker.tryAdmit()).toBe(false);
    advance(40);
    expect(breaker.state()).toBe("half-open");
    expect(breaker.tryAdmit()).toBe(true);
    expect(breaker.tryAdmit()).toBe(false); // one probe at a time
    breaker.success();
    expect(breaker.state()).toBe("closed");
    expect(breaker.tryAdmit()).toBe(true);
  });

  it("re-opens for a full cool-down when the probe fails", () => {
    const { breaker, advance } = withClock(2, 100);
    breaker.failure();
    breaker.failure();
    advance(100);
    expect(breaker.tryAdmit()).toBe(true);
    breaker.failure();
    expect(breaker.state()).toBe("open");
    expect(breaker.remainingMs()).toBe(100);
    expect(breaker.openedCount).toBe(2);
  });

  it("closes at once when an upload succeeds while open (a queued retry found the sink back)", () => {
    const { breaker } = withClock(1, 10_000);
    breaker.failure();
    expect(breaker.state()).toBe("open");
    breaker.success();
    expect(breaker.state()).toBe("closed");
  });

  it("refuses a bad threshold or cool-down, naming the value", () => {
    expect(() => new CircuitBreaker({ failures: 0, cooldownMs: 1 })).toThrow("failures must be a positive integer, got 0");
    expect(() => new CircuitBreaker({ failures: 1, cooldownMs: -1 })).toThrow("cooldownMs must be a non-negative number, got -1");
  });

  it("follows a simple model through any sequence of outcomes, admissions and clock steps (property)", () => {
    type Step = { kind: "success" } | { kind: "failure" } | { kind: "admit" } | { kind: "advance"; ms: number };
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.constant({ kind: "success" as const }),
      fc.constant({ kind: "failure" as const }),
      fc.constant({ kind: "admit" as const }),
      fc.integer({ min: 0, max: 150 }).map((ms) => ({ kind: "advance" as const, ms })),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(step, { maxLength: 60 }), (threshold, steps) => {
        const { breaker, advance } = withClock(threshold, 100);
        // The model: state, consecutive failures, time since opening, probe taken.
        let state = "closed" as BreakerState;
        let failures = 0;
        let sinceOpen = 0;
        let probe = false;
        const settle = (): void => {
          if (state === "open" && sinceOpen >= 100) {
            state = "half-open";
            probe = false;
          }
        };
        for (const s of steps) {
          if (s.kind === "advance") {
            advance(s.ms);
            sinceOpen += s.ms;
          } else if (s.kind === "success") {
            breaker.success();
            failures = 0;
            state = "closed";
          } else if (s.kind === "failure") {
            breaker.failure();
            failures += 1;
            settle();
            if (state === "half-open" || (state === "closed" && failures >= threshold)) {
              state = "open";
              sinceOpen = 0;
            }
          } else {
            settle();
            const expected = state === "closed" || (state === "half-open" && !probe);
            if (state === "half-open" && !probe) probe = true;
            expect(breaker.tryAdmit()).toBe(expected);
          }
          settle();
          expect(breaker.state()).toBe(state);
        }
      }),
      { numRuns: 300, seed: 1818 },
    );
  });
});
