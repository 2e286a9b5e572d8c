import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Fifo } from "../src/fifo.js";

describe("Fifo (the line of blocked submitters)", () => {
  it("behaves like an array queue under random push / shift / compact", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant("push" as const), fc.constant("shift" as const), fc.constant("compact" as const)), {
          maxLength: 300,
        }),
        (ops) => {
          const fifo = new Fifo<number>();
          const model: number[] = [];
          let n = 0;
          for (const op of ops) {
            if (op === "push") {
              fifo.push(n);
              model.push(n++);
            } else if (op === "shift") {
              expect(fifo.shift()).toBe(model.shift());
            } else {
              fifo.compact((v) => v % 3 !== 0);
              model.splice(0, model.length, ...model.filter((v) => v % 3 !== 0));
            }
            expect(fifo.length).toBe(model.length);
            expect(fifo.peek()).toBe(model[0]);
          }
        },
      ),
      { numRuns: 300, seed: 3 },
    );
  });
});
