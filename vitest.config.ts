import { defineConfig } from "vitest/config";

// .ci/run sets this to read the pass/fail counts; locally the default reporter is enough.
const report = process.env.BOOKWRIGHT_TEST_REPORT;

export default defineConfig({
  test: {
    include: ["shared/**/*.test.ts", "plugin/**/*.test.ts", "companion/**/*.test.ts", "test/**/*.test.ts"],
    // Corpus-sized tests read and parse a whole novel; the default 5 s is too tight on a shared 2-core box.
    testTimeout: 60_000,
    pool: "forks",
    ...(report ? { reporters: ["default", "json"], outputFile: { json: report } } : {}),
  },
});
