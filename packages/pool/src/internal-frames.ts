/**
 * Marks this package's modules as gochan's own, so that `run()` from
 * @gochan/core leaves their frames out of its deadlock and panic reports, as
 * it leaves out its own: the user's frames are what a report is for.
 *
 * The protocol is core's: a Set of file-URL and path prefixes under the global
 * symbol `gochan.internalFrames`, read when a report is formatted. Both the
 * compiled dist/ and src/ (where source maps point) are marked.
 *
 * @internal
 * @module
 */
const INTERNAL_FRAMES = Symbol.for("gochan.internalFrames");

const g = globalThis as { [INTERNAL_FRAMES]?: Set<string> };
const dirs = g[INTERNAL_FRAMES] ?? new Set<string>();
g[INTERNAL_FRAMES] = dirs;
for (const sub of ["../src/", "../dist/"]) {
  try {
    const dir = new URL(sub, import.meta.url);
    dirs.add(dir.href).add(decodeURIComponent(dir.pathname));
  } catch {
    // No file URL (a bundle): nothing to mark.
  }
}

export {};
