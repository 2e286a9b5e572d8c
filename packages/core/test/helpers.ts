// Helpers shared by the core unit tests.

/** Where a promise stands. */
export type State = "pending" | "resolved" | "rejected";

/** One macrotask turn: every microtask queued so far (and any yield flush) has run. */
export function macrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Where `p` stands after a macrotask turn: "never settles" is checked by a race, not by time. */
export async function stateOf(p: Promise<unknown>): Promise<State> {
  let state: State = "pending";
  p.then(
    () => {
      state = "resolved";
    },
    () => {
      state = "rejected";
    },
  );
  await macrotask();
  return state;
}
