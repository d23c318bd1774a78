// Builds the Obsidian plugin (CommonJS main.js, as Obsidian loads it) and the Node CLI.
// `node esbuild.config.mjs` watches the plugin; `node esbuild.config.mjs production` builds both once.
// A release is main.js, manifest.json and styles.css from the repository root (`npm version` keeps
// manifest.json and versions.json in step through version-bump.mjs).
// Importing this file builds nothing: the tests and `npm run bench -- plugin` build with pluginOptions.
import esbuild from "esbuild";
import { rm } from "node:fs/promises";
import { builtinModules } from "node:module";
import { pathToFileURL } from "node:url";
import { bundledFontsPlugin } from "./fonts.mjs";

/** The plugin build; production minifies and drops the source map, so main.js is the only output. */
export function pluginOptions(production) {
  return {
    entryPoints: ["plugin/main.ts"],
    bundle: true,
    // Obsidian provides these at run time; bundling them would load a second copy.
    external: ["obsidian", "electron", "@codemirror/*", "@lezer/*", ...builtinModules],
    format: "cjs",
    target: "es2022",
    platform: "browser",
    logLevel: "info",
    sourcemap: production ? false : "inline",
    treeShaking: true,
    minify: production,
    outfile: "main.js",
    plugins: [bundledFontsPlugin],
  };
}

/**
 * The CLI: packages are bundled in (Node resolving and compiling hundreds of ESM files from node_modules
 * took half a second on every start), and split so each command loads only its own code: `export` never
 * parses the Anthropic SDK, `generate` never parses pdf-lib.
 */
const cli = {
  // The export worker is an entry of its own (dist/export-worker.js): the companion starts it as a worker
  // thread by path, found beside the chunk that starts it (companion/export/export-jobs.ts).
  entryPoints: ["companion/cli.ts", "companion/export/export-worker.ts"],
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  splitting: true,
  // Native addons cannot be bundled, and Fastify loads parts of itself (pino's transports) by path.
  external: ["better-sqlite3", "fastify", "fastify-type-provider-zod"],
  outdir: "dist",
  entryNames: "[name]",
  chunkNames: "chunks/[name]-[hash]",
  // Bundled CommonJS packages call require(); ESM output has none unless it is made.
  banner: { js: "import { createRequire as __bookwrightCreateRequire } from 'node:module'; const require = __bookwrightCreateRequire(import.meta.url);" },
  logLevel: "info",
  sourcemap: true,
};

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;

if (invokedDirectly) {
  const production = process.argv[2] === "production";
  if (production) {
    // Chunk names carry content hashes; old ones would pile up in dist/ from build to build.
    await rm("dist", { recursive: true, force: true });
    await Promise.all([esbuild.build(pluginOptions(true)), esbuild.build(cli)]);
  } else {
    const ctx = await esbuild.context(pluginOptions(false));
    await ctx.watch();
  }
}
