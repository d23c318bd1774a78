// Tests run plugin code without esbuild; this builds the same `bookwright-fonts` module from the same files.
import { readFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "fflate";
// @ts-expect-error -- fonts.mjs is the build script's plain JavaScript
import { DEFAULT_FONT_FILES, defaultFontFolder } from "../../fonts.mjs";

const files = DEFAULT_FONT_FILES as Record<"regular" | "italic" | "bold" | "boldItalic", string>;
const folder = (defaultFontFolder as () => string)();
const pack = (file: string): string => Buffer.from(gzipSync(new Uint8Array(readFileSync(path.join(folder, file))))).toString("base64");

export default {
  regular: pack(files.regular),
  italic: pack(files.italic),
  bold: pack(files.bold),
  boldItalic: pack(files.boldItalic),
};
