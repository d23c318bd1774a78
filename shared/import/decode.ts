/**
 * Bytes of a manuscript file → text. Writers bring files from everywhere: UTF-8 with or without a
 * byte-order mark, Notepad's UTF-16, and old Word/Windows exports in Windows-1252. We accept those,
 * say which one we used, and give the rest of the import LF line endings.
 */

export type ManuscriptEncoding = "utf-8" | "utf-16le" | "utf-16be" | "windows-1252";

export interface DecodedManuscript {
  /** The text with LF line endings and without a byte-order mark. */
  text: string;
  encoding: ManuscriptEncoding;
  /** Whether the file began with a byte-order mark. */
  byteOrderMark: boolean;
}

/** An import failure the writer can fix (wrong file, bad option, folder taken): shown without a stack. */
export class ImportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ImportError";
  }
}

/** Human-readable encoding, for reports: "UTF-8 with byte-order mark". */
export function describeEncoding(encoding: ManuscriptEncoding, byteOrderMark: boolean): string {
  const names: Record<ManuscriptEncoding, string> = {
    "utf-8": "UTF-8",
    "utf-16le": "UTF-16 LE",
    "utf-16be": "UTF-16 BE",
    "windows-1252": "Windows-1252",
  };
  return byteOrderMark && encoding === "utf-8" ? `${names[encoding]} with byte-order mark` : names[encoding];
}

/**
 * Decodes a manuscript: a UTF-16 byte-order mark picks UTF-16; otherwise UTF-8 when the bytes are valid
 * UTF-8 (a BOM is dropped), else Windows-1252, which every byte sequence is. Throws {@link ImportError}
 * for bytes that look binary (a .docx or .pdf), since decoding those would import garbage.
 */
export function decodeManuscript(bytes: Uint8Array): DecodedManuscript {
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) {
    return decoded(new TextDecoder("utf-16le").decode(bytes), "utf-16le", true);
  }
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) {
    return decoded(new TextDecoder("utf-16be").decode(bytes), "utf-16be", true);
  }
  if (bytes.includes(0)) {
    throw new ImportError(
      "the file looks binary (it holds NUL bytes); save it as plain text (.txt) or Markdown (.md) and import that",
    );
  }
  const byteOrderMark = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  try {
    // fatal: invalid UTF-8 throws instead of turning into U+FFFD, which is our cue to try Windows-1252.
    const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return decoded(text, "utf-8", byteOrderMark);
  } catch {
    return decoded(decodeWindows1252(bytes), "windows-1252", false);
  }
}

/** `text` comes from TextDecoder, which has already dropped the BOM (a second U+FEFF is content). */
function decoded(text: string, encoding: ManuscriptEncoding, byteOrderMark: boolean): DecodedManuscript {
  return { text: normalizeLineEndings(text), encoding, byteOrderMark };
}

/** CRLF (Windows) and lone CR (classic Mac OS) → LF. */
export function normalizeLineEndings(text: string): string {
  return text.includes("\r") ? text.replace(/\r\n?/g, "\n") : text;
}

/**
 * Windows-1252's 0x80–0x9F, where it differs from Latin-1 (curly quotes, dashes, €). The five bytes
 * it leaves undefined map to the C1 control of the same value, as the WHATWG Encoding Standard says.
 */
const WINDOWS_1252_HIGH = [
  0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008d, 0x017d, 0x008f,
  0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178,
];

/**
 * Windows-1252 by table rather than `TextDecoder("windows-1252")`: Node 20's decoder for that label
 * takes a Latin-1 fast path and turns 0x93 into U+0093 instead of “, so it cannot be trusted.
 */
export function decodeWindows1252(bytes: Uint8Array): string {
  const chunks: string[] = [];
  const CHUNK = 8192;
  for (let start = 0; start < bytes.length; start += CHUNK) {
    const end = Math.min(start + CHUNK, bytes.length);
    const codes = new Array<number>(end - start);
    for (let i = start; i < end; i++) {
      const byte = bytes[i]!;
      codes[i - start] = byte >= 0x80 && byte <= 0x9f ? WINDOWS_1252_HIGH[byte - 0x80]! : byte;
    }
    chunks.push(String.fromCharCode(...codes));
  }
  return chunks.join("");
}
