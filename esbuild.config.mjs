// Builds the Obsidian plugin (CommonJS main.js, as Obsidian loads it) and the Node CLI.
// `node esbuild.config.mjs` watches the plugin; `node esbuild.config.mjs production` builds both once.
import esbuild from "esbuild";
import { builtinModules } from "node:module";

const production = process.argv[2] === "production";

const plugin = {
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

if (production) {
  await Promise.all([esbuild.build(plugin), esbuild.build(cli)]);
} else {
  const ctx = await esbuild.context(plugin);
  await ctx.watch();
}
