#!/usr/bin/env node
// The payload server's start command: `node packages/demo/bin/server.js`.
// Run it with node directly (not through pnpm or npm, which do not pass
// SIGTERM on), so that the signals a supervisor sends reach the server and it
// drains gracefully. TypeScript is loaded with tsx's ESM hooks.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/server.ts");
await main();
