// Lint: Obsidian's recommended rules everywhere, plus the import direction that keeps the layers honest:
// shared/ runs on Obsidian mobile and in Node, so it may import neither `obsidian` nor Node built-ins;
// plugin/ may not import Node built-ins (mobile) nor companion code; companion/ may not import plugin code.
import { defineConfig, globalIgnores } from "eslint/config";
import obsidianmd from "eslint-plugin-obsidianmd";
import globals from "globals";
import { builtinModules } from "node:module";

const nodeBuiltins = [...new Set(builtinModules.flatMap((m) => [m, `node:${m}`]))];
const nodePatterns = { group: ["node:*"], message: "Node built-ins cannot run on Obsidian mobile; use a port from shared/." };
const nodePaths = nodeBuiltins.map((name) => ({ name, message: "Node built-ins cannot run on Obsidian mobile; use a port from shared/." }));
const serverPaths = ["better-sqlite3", "fastify"].map((name) => ({ name, message: "Server packages belong in companion/." }));


export default defineConfig([
  globalIgnores(["node_modules/", "main.js", "dist/", "coverage/", ".bench/", "bin/", ".ci/", "esbuild.config.mjs", "fonts.mjs", "eslint.config.mjs", "version-bump.mjs", "demo/out/"]),
  ...obsidianmd.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
  },
  {
    files: ["shared/**/*.ts"],
    ignores: ["shared/**/*.test.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        paths: [{ name: "obsidian", message: "shared/ must not depend on Obsidian; add a port." }, ...nodePaths, ...serverPaths],
        patterns: [nodePatterns, { group: ["**/plugin/**", "**/companion/**"], message: "shared/ depends on nothing above it." }],
      }],
    },
  },
  {
    files: ["plugin/**/*.ts"],
    ignores: ["plugin/**/*.test.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        paths: [...nodePaths, ...serverPaths],
        patterns: [nodePatterns, { group: ["**/companion/**"], message: "The plugin talks to the companion over HTTP only." }],
      }],
    },
  },
  {
    // `import { z } from "zod"` pulls zod's whole namespace object (every locale) into main.js: +370 KB.
    files: ["shared/**/*.ts", "plugin/**/*.ts"],
    rules: {
      "no-restricted-syntax": ["error", {
        selector: "ImportDeclaration[source.value='zod'] > ImportSpecifier[imported.name='z']",
        message: "Use `import * as z from \"zod\"`, which esbuild can tree-shake.",
      }],
    },
  },
  {
    files: ["companion/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        paths: [{ name: "obsidian", message: "The companion runs without Obsidian." }],
        patterns: [{ group: ["**/plugin/**"], message: "companion/ must not import plugin code." }],
      }],
    },
  },
  {
    // Node-side code: the companion, benchmarks, tests and test support run under Node.
    files: ["companion/**/*.ts", "bench/**/*.ts", "**/*.test.ts", "shared/testing/**/*.ts", "test/**/*.ts", "vitest.config.ts"],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // Node code: the terminal is the CLI's and the benchmarks' user interface, and Node is all there is.
      "obsidianmd/no-nodejs-modules": "off",
      // rule-custom-message only wraps no-console and no-new-func; keep the latter as the core rule.
      "obsidianmd/rule-custom-message": "off",
      "no-new-func": "error",
      "no-console": "off",
    },
  },
  {
    // The stand-in builds the DOM Obsidian's helpers build in the app, so it creates elements and sets
    // styles itself; the rules that ask plugin code to use those helpers do not apply to it.
    files: ["test/obsidian-stub/**/*.ts", "test/obsidian-dom/**/*.ts"],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      "obsidianmd/prefer-create-el": "off",
      "obsidianmd/no-static-styles-assignment": "off",
      "@typescript-eslint/no-this-alias": "off",
      "obsidianmd/no-global-this": "off",
      "obsidianmd/prefer-instanceof": "off",
      "obsidianmd/prefer-window-timers": "off",
    },
  },
]);
