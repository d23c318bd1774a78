/**
 * The built-in print typeface, unpacked on first use: decoding about 0.9 MB of gzipped fonts costs
 * nothing at plugin load, only when a PDF is exported.
 */
import fonts from "bookwright-fonts";
import { gunzipSync } from "fflate";
import type { FontBytes } from "../../shared/export/pdf/fonts";

let unpacked: FontBytes | null = null;

export function loadBundledFonts(): Promise<FontBytes> {
  unpacked ??= {
    regular: unpack(fonts.regular),
    italic: unpack(fonts.italic),
    bold: unpack(fonts.bold),
    boldItalic: unpack(fonts.boldItalic),
  };
  return Promise.resolve(unpacked);
}

function unpack(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return gunzipSync(bytes);
}
