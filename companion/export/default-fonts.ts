/**
 * The print PDF's default fonts for Node (the CLI and the tests): EB Garamond's four text faces from the
 * `@expo-google-fonts/eb-garamond` package (SIL Open Font License, so they may be embedded in a book
 * and sold with it). shared/ takes fonts as bytes because it cannot read files; this reads them.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import type { FontBytes } from "../../shared/export/pdf/fonts";

const FACES: Record<keyof FontBytes, string> = {
  regular: "400Regular/EBGaramond_400Regular.ttf",
  italic: "400Regular_Italic/EBGaramond_400Regular_Italic.ttf",
  bold: "700Bold/EBGaramond_700Bold.ttf",
  boldItalic: "700Bold_Italic/EBGaramond_700Bold_Italic.ttf",
};

/** The package's folder, found the way Node finds the package itself (so it works from any working directory). */
export function ebGaramondFolder(): string {
  return path.dirname(createRequire(import.meta.url).resolve("@expo-google-fonts/eb-garamond/package.json"));
}

let cached: Promise<FontBytes> | null = null;

/** EB Garamond regular, italic, bold and bold italic, read once per process. */
export function loadDefaultFonts(): Promise<FontBytes> {
  cached ??= (async () => {
    const folder = ebGaramondFolder();
    const read = async (file: string): Promise<Uint8Array> => new Uint8Array(await readFile(path.join(folder, file)));
    const [regular, italic, bold, boldItalic] = await Promise.all([read(FACES.regular), read(FACES.italic), read(FACES.bold), read(FACES.boldItalic)]);
    return { regular, italic, bold, boldItalic };
  })();
  // A failed read (package missing) is not cached, so a later call can succeed after an install.
  cached.catch(() => {
    cached = null;
  });
  return cached;
}
