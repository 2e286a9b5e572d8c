// Prints the plain closing line CI reads ("N passed, N failed"), from the JSON
// report vitest writes next to its console output (see vitest.config.ts).
import { readFileSync } from "node:fs";

const report = JSON.parse(readFileSync(new URL("../node_modules/.cache/vitest-report.json", import.meta.url), "utf8"));
const skipped = report.numPendingTests + report.numTodoTests;
console.log(
  `Tests: ${report.numPassedTests} passed, ${report.numFailedTests} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`,
);
process.exit(report.numFailedTests === 0 && report.success ? 0 : 1);
