// Builds the Obsidian plugin (CommonJS main.js, as Obsidian loads it) and the Node CLI.
// `node esbuild.config.mjs` watches the plugin; `node esbuild.config.mjs production` builds both once.
// A release is main.js, manifest.json and styles.css from the repository root (`npm version` keeps
// manifest.json and versions.json in step through version-bump.mjs).
// Importing this file builds nothing: the tests and `npm run bench -- plugin` build with pluginOptions.
import esbuild from "esbuild";
import { builtinModules } from "node:module";
import { pathToFileURL } from "node:url";

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
  };
}

const cli = {
  entryPoints: ["companion/cli.ts"],
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  // Native and large server packages stay in node_modules, resolved at run time.
  packages: "external",
  logLevel: "info",
  sourcemap: true,
  outfile: "dist/cli.js",
};

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;

if (invokedDirectly) {
  const production = process.argv[2] === "production";
  if (production) {
    await Promise.all([esbuild.build(pluginOptions(true)), esbuild.build(cli)]);
  } else {
    const ctx = await esbuild.context(pluginOptions(false));
    await ctx.watch();
  }
}
