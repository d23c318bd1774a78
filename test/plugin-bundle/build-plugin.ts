/**
 * The plugin build exactly as a release makes it: the options come from esbuild.config.mjs itself (its
 * `pluginOptions`), so the tests and `npm run bench -- plugin` cannot drift from what ships. Only the
 * output moves (a temp folder, or memory), so building here never overwrites the repository's main.js.
 */
import * as esbuild from "esbuild";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

interface BuildConfig {
  pluginOptions: (production: boolean) => esbuild.BuildOptions;
}

/** esbuild.config.mjs's plugin options, production (minified, no source map) unless told otherwise. */
export async function pluginBuildOptions(production = true): Promise<esbuild.BuildOptions> {
  // A computed specifier: the config is plain JavaScript without declarations, and importing it builds nothing.
  // eslint-disable-next-line no-unsanitized/method -- a file URL built from the repository root, not input
  const config = (await import(pathToFileURL(path.join(repoRoot, "esbuild.config.mjs")).href)) as BuildConfig;
  return { ...config.pluginOptions(production), absWorkingDir: repoRoot, logLevel: "warning" };
}

/** The production main.js, in memory: its path (as it would be written) and text. */
export async function buildPluginInMemory(): Promise<{ files: { path: string; text: string }[]; main: string }> {
  const result = await esbuild.build({ ...(await pluginBuildOptions(true)), write: false });
  const files = result.outputFiles.map((f) => ({ path: f.path, text: f.text }));
  const main = files.find((f) => f.path === path.join(repoRoot, "main.js"));
  if (!main) throw new Error(`the plugin build wrote no main.js at the repository root (it wrote: ${files.map((f) => f.path).join(", ")})`);
  return { files, main: main.text };
}
