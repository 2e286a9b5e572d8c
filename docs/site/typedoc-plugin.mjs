// @ts-check
/**
 * The API site's TypeDoc plugin.
 *
 * Guides: each page under docs/ is titled by its first heading ("Getting started",
 * not "getting-started"), as on GitHub.
 *
 * Exports: grouped by concept on each package's page (Channels, Select, Timers, ...)
 * instead of one alphabetical list per kind.
 *
 * The concept of an export is the source file that declares it: every package keeps
 * one concept per file (see shared style), so the mapping below is the site's table
 * of contents. An exported declaration from a file missing here fails the build, so
 * a new file is placed in a group on purpose, not by accident. An explicit `@group`
 * tag in a doc comment wins over the file's group.
 */
import { Comment, CommentTag, Converter, ReflectionKind } from "typedoc";

/** Source file (by package, and path under its src/) -> the group its exports appear under. */
export const GROUPS = {
  core: {
    "chan.ts": "Channels",
    "watched-chan.ts": "Channels",
    "waiter.ts": "Channels",
    "select.ts": "Select",
    "external-select.ts": "Select",
    "timer.ts": "Timers",
    "ticker.ts": "Timers",
    "alarm.ts": "Timers",
    "sleep.ts": "Timers",
    "wait-group.ts": "Sync",
    "errgroup.ts": "Sync",
    "context.ts": "Context",
    "go.ts": "Goroutines",
    "run.ts": "Goroutines",
    "trace.ts": "Goroutines",
    "scheduling.ts": "Scheduling",
    "random.ts": "Scheduling",
    "errors.ts": "Errors",
    "cross-bubble-error.ts": "Errors",
    "testing/index.ts": "Testing",
    "testing/errors.ts": "Errors",
  },
  pool: {
    "pool.ts": "Pool",
    "options.ts": "Pool",
    "group.ts": "Pool",
    "map.ts": "Pool",
    "job.ts": "Pool",
    "abortable.ts": "Pool",
    "metrics.ts": "Metrics and events",
    "dispatcher.ts": "Seed: Dispatcher and Worker",
    "worker.ts": "Seed: Dispatcher and Worker",
    "errors.ts": "Errors",
  },
  threads: {
    "shared-chan.ts": "Shared channels",
    "thread-exit.ts": "Shared channels",
    "select.ts": "Select",
    "thread-pool.ts": "Thread pool",
    "thread-group.ts": "Thread pool",
    "stream.ts": "Thread pool",
    "transfer.ts": "Thread pool",
    "thread-events.ts": "Metrics and events",
    "errors.ts": "Errors",
  },
  redis: {
    "sender.ts": "Sending",
    "receiver.ts": "Receiving",
    "delivery.ts": "Receiving",
    "acking.ts": "Receiving",
    "codec.ts": "Codecs",
    "options.ts": "Options",
    "connection.ts": "Options",
    "errors.ts": "Errors",
    "testing/redis-server.ts": "Testing",
  },
};

/** The order groups appear in, on every package's page. */
export const GROUP_ORDER = [
  "Channels",
  "Shared channels",
  "Select",
  "Timers",
  "Sync",
  "Context",
  "Goroutines",
  "Scheduling",
  "Testing",
  "Pool",
  "Thread pool",
  "Metrics and events",
  "Seed: Dispatcher and Worker",
  "Sending",
  "Receiving",
  "Codecs",
  "Options",
  "Errors",
  "*",
];

/** @param {import("typedoc").Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_CREATE_DOCUMENT, (_context, doc) => {
    const first = doc.content.map((part) => part.text).join("").match(/^#\s+(.+)$/m);
    if (first !== null && typeof doc.frontmatter["title"] !== "string") doc.name = (first[1] ?? doc.name).trim();
  });
  app.converter.on(
    Converter.EVENT_CREATE_DECLARATION,
    (context, reflection) => {
      // Only a package's own top-level exports are grouped; members keep TypeDoc's kinds.
      // (each package is converted as a project of its own, then merged as a module)
      if (!reflection.parent?.kindOf(ReflectionKind.Project | ReflectionKind.Module)) return;
      // A package with several entry points (core and core/testing) has a module per entry.
      if (reflection.kindOf(ReflectionKind.Module)) return;
      if (reflection.comment?.getTag("@group") !== undefined) return;
      const file = context.getSymbolFromReflection(reflection)?.declarations?.[0]?.getSourceFile().fileName;
      if (file === undefined) return;
      const where = /packages\/([^/]+)\/src\/(.+)$/.exec(file);
      /** @type {Record<string, Record<string, string>>} */
      const groups = GROUPS;
      const group = where === null ? undefined : groups[where[1] ?? ""]?.[where[2] ?? ""];
      if (group === undefined) {
        app.logger.error(`docs/site/typedoc-plugin.mjs: no group for ${reflection.getFriendlyFullName()} from ${file}; add its file to GROUPS`);
        return;
      }
      reflection.comment ??= new Comment();
      reflection.comment.blockTags.push(new CommentTag("@group", [{ kind: "text", text: group }]));
    },
    -100,
  );
}
