// Prints the plain `N passed, N failed` line CI reads, from vitest's JSON report.
// When the report is missing (typecheck or lint failed before the tests ran), that failure counts as one.
import { existsSync, readFileSync } from "node:fs";

const [report, status] = process.argv.slice(2);
if (!report || !existsSync(report)) {
  console.log(`0 passed, ${status === "0" ? 0 : 1} failed`);
} else {
  const results = JSON.parse(readFileSync(report, "utf8"));
  const failed = results.numFailedTests + (results.numFailedTestSuites > 0 && results.numFailedTests === 0 ? 1 : 0);
  console.log(`${results.numPassedTests} passed, ${failed} failed`);
}
