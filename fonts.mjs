// The print typeface the plugin carries: EB Garamond (SIL Open Font License 1.1, see
// node_modules/@expo-google-fonts/eb-garamond/LICENSE_FONT) in the four styles a novel uses. Obsidian
// installs a plugin as main.js, manifest.json and styles.css only, so the fonts travel inside main.js,
// gzipped and base64-encoded, and are unpacked only when a PDF is exported. The CLI reads the same files
// from node_modules instead (companion/export/default-fonts.ts).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { gzipSync } from "fflate";

export const DEFAULT_FONT_FILES = {
  regular: "400Regular/EBGaramond_400Regular.ttf",
  italic: "400Regular_Italic/EBGaramond_400Regular_Italic.ttf",
  bold: "700Bold/EBGaramond_700Bold.ttf",
  boldItalic: "700Bold_Italic/EBGaramond_700Bold_Italic.ttf",
};

export function defaultFontFolder() {
  return path.dirname(createRequire(import.meta.url).resolve("@expo-google-fonts/eb-garamond/package.json"));
}

/** The `bookwright-fonts` module: `export default { regular: "<base64 of gzip>", … }`. */
export function bundledFontsModule() {
  const folder = defaultFontFolder();
  const entries = Object.entries(DEFAULT_FONT_FILES).map(([role, file]) => {
    const packed = gzipSync(new Uint8Array(readFileSync(path.join(folder, file))), { level: 9, mtime: 0 });
    return `  ${role}: ${JSON.stringify(Buffer.from(packed).toString("base64"))},`;
  });
  return `export default {\n${entries.join("\n")}\n};\n`;
}

/** esbuild plugin that serves the `bookwright-fonts` module to the plugin build. */
export const bundledFontsPlugin = {
  name: "bookwright-fonts",
  setup(build) {
    build.onResolve({ filter: /^bookwright-fonts$/ }, () => ({ path: "bookwright-fonts", namespace: "bookwright-fonts" }));
    build.onLoad({ filter: /.*/, namespace: "bookwright-fonts" }, () => ({ contents: bundledFontsModule(), loader: "js" }));
  },
};
