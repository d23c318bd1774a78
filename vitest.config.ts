import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// .ci/run sets this to read the pass/fail counts; locally the default reporter is enough.
const report = process.env.BOOKWRIGHT_TEST_REPORT;

export default defineConfig({
  test: {
    include: ["shared/**/*.test.ts", "plugin/**/*.test.ts", "companion/**/*.test.ts", "test/**/*.test.ts"],
    // Corpus-sized tests read and parse a whole novel; the default 5 s is too tight on a shared 2-core box.
    testTimeout: 60_000,
    pool: "forks",
    // The `obsidian` package ships types only; plugin code under test gets the typed in-memory stand-in.
    // Exact match only, so other `obsidian*` packages (eslint-plugin-obsidianmd) resolve as usual.
    alias: [
      { find: /^obsidian$/, replacement: fileURLToPath(new URL("./test/obsidian-stub/obsidian.ts", import.meta.url)) },
      // The plugin's built-in print fonts come from an esbuild plugin (fonts.mjs); tests build the same module.
      { find: /^bookwright-fonts$/, replacement: fileURLToPath(new URL("./test/support/bookwright-fonts.ts", import.meta.url)) },
    ],
    ...(report ? { reporters: ["default", "json"], outputFile: { json: report } } : {}),
  },
});
