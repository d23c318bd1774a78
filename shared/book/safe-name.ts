/**
 * File names made from titles the writer typed (chapter titles, imported headings). A note has to
 * survive every place a vault travels: Windows, macOS, Linux, Obsidian's link syntax, and sync
 * services that mirror the strictest of those rules. So the name keeps to the intersection.
 */
import { isInFolder, joinVaultPath, normalizeVaultPath, parentFolder, VaultError } from "../vault/vault-files";

/** Longest stem in UTF-16 units: leaves room for a folder path under Windows' 260-character limit. */
export const MAX_STEM_LENGTH = 120;
/**
 * Longest stem in UTF-8 bytes. Linux and macOS cap a name at 255 bytes, and 120 CJK characters are
 * already 360; 200 leaves room for `.md` and a ` (2)` suffix.
 */
export const MAX_STEM_BYTES = 200;

const DEFAULT_FALLBACK = "Untitled";

/** Path separators read as "or"/"and" in titles ("either/or"), so they become a dash, not a gap. */
const AS_DASH = new Set(["/", "\\", "|"]);
/**
 * Forbidden by Windows (`* " < > : ?`) or by Obsidian's link syntax (`# ^ [ ]`, which start headings,
 * blocks and links inside `[[...]]`).
 */
const AS_SPACE = new Set(["*", '"', "<", ">", ":", "?", "#", "^", "[", "]"]);

/** Windows device names: a file called `CON` or `con.txt` cannot be created or opened there. */
const RESERVED = new Set([
  "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
  ...["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "¹", "²", "³"].flatMap((n) => [`COM${n}`, `LPT${n}`]),
]);

/**
 * Turns a title into a file-name stem (no extension) that is safe everywhere a vault is synced:
 * forbidden and control characters replaced, whitespace collapsed, NFC, no leading/trailing dots or
 * spaces (so `.` and `..` cannot come out), Windows device names suffixed with `_`, and capped at
 * {@link MAX_STEM_LENGTH} units / {@link MAX_STEM_BYTES} bytes on a character boundary. Never empty:
 * returns `fallback` (itself made safe) instead. Idempotent.
 *
 * @example safeFileName("Chapter 3: The Storm?") // "Chapter 3 The Storm"
 * @example safeFileName("con.txt") // "con_.txt"
 */
export function safeFileName(title: string, fallback = DEFAULT_FALLBACK): string {
  const stem = shapeStem(title, MAX_STEM_LENGTH, MAX_STEM_BYTES);
  if (stem !== "") return stem;
  const safeFallback = fallback === DEFAULT_FALLBACK ? "" : shapeStem(fallback, MAX_STEM_LENGTH, MAX_STEM_BYTES);
  return safeFallback === "" ? DEFAULT_FALLBACK : safeFallback;
}

/**
 * {@link safeFileName} of `title` followed by `suffix` (e.g. ` (2)`), shortening the title rather than
 * cutting the suffix off, so that two names that must differ still differ after the length cap.
 */
export function safeFileNameWithSuffix(title: string, suffix: string): string {
  const safeSuffix = shapeStem(suffix, MAX_STEM_LENGTH, MAX_STEM_BYTES);
  const head = shapeStem(
    title,
    MAX_STEM_LENGTH - safeSuffix.length,
    MAX_STEM_BYTES - utf8Length(safeSuffix),
  );
  return safeFileName(`${head === "" ? DEFAULT_FALLBACK : head}${suffix}`);
}

/**
 * `<folder>/<safe stem>.md`, with a check that the result is a direct child of `folder`: the stem is
 * made safe first, so this only fails if that guarantee is ever broken, and then it fails loudly
 * instead of writing somewhere else in the vault.
 */
export function safeNotePath(folder: string, stem: string): string {
  const base = normalizeVaultPath(folder);
  const path = joinVaultPath(base, `${safeFileName(stem)}.md`);
  if (parentFolder(path) !== base || !isInFolder(path, base)) {
    throw new VaultError("invalid-path", path, `a note for "${stem}" would land outside ${base || "the vault root"}`);
  }
  return path;
}

/** The sanitising pipeline; "" when nothing usable is left. Each step keeps the text NFC. */
function shapeStem(title: string, maxUnits: number, maxBytes: number): string {
  let stem = replaceUnsafe(title.normalize("NFC"));
  stem = stem.replace(/\s+/g, " ");
  stem = trimDotsAndSpaces(stem);
  stem = suffixReserved(stem);
  if (stem.length > maxUnits || utf8Length(stem) > maxBytes) {
    // Cutting can leave a trailing dot or space, or shorten `CON foo` to `CON`: clean up again.
    stem = suffixReserved(trimDotsAndSpaces(truncate(stem, maxUnits, maxBytes)));
  }
  return stem;
}

/**
 * Replaces forbidden characters, C0/C1 controls and DEL, and lone surrogates (which have no UTF-8
 * form, so the file system would store something else). Replacing rather than deleting matters:
 * deleting could bring a letter next to a combining mark and un-normalise the text.
 */
function replaceUnsafe(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += text.slice(i, i + 2);
        i++;
      } else {
        out += "\ufffd";
      }
      continue;
    }
    if (code >= 0xdc00 && code <= 0xdfff) {
      out += "\ufffd";
      continue;
    }
    const char = text.charAt(i);
    if (code <= 0x1f || (code >= 0x7f && code <= 0x9f) || AS_SPACE.has(char)) out += " ";
    else if (AS_DASH.has(char)) out += "-";
    else out += char;
  }
  return out;
}

/** Windows drops trailing dots and spaces (so `a.` and `a` collide), and a leading dot hides a file. */
function trimDotsAndSpaces(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && (text[start] === "." || text[start] === " ")) start++;
  while (end > start && (text[end - 1] === "." || text[end - 1] === " ")) end--;
  return text.slice(start, end);
}

/** `CON` → `CON_`, `con.txt` → `con_.txt`, `nul .md` → `nul_ .md`: Windows ignores the extension. */
function suffixReserved(stem: string): string {
  const dot = stem.indexOf(".");
  const base = dot === -1 ? stem : stem.slice(0, dot);
  const device = base.trimEnd();
  if (!RESERVED.has(device.toUpperCase())) return stem;
  return `${device}_${stem.slice(device.length)}`;
}

/**
 * The longest prefix within both limits that ends on a grapheme boundary (so `é` written as `e` +
 * accent or a flag emoji is never cut in half), or on a code point boundary when one grapheme alone
 * is over the limit.
 */
function truncate(text: string, maxUnits: number, maxBytes: number): string {
  let end = 0;
  let bytes = 0;
  const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });
  for (const { segment } of segmenter.segment(text)) {
    const segmentBytes = utf8Length(segment);
    if (end + segment.length > maxUnits || bytes + segmentBytes > maxBytes) break;
    end += segment.length;
    bytes += segmentBytes;
  }
  if (end > 0) return text.slice(0, end);
  let out = "";
  for (const char of text) {
    if (out.length + char.length > maxUnits || utf8Length(out + char) > maxBytes) break;
    out += char;
  }
  return out;
}

/** UTF-8 length of well-formed text (lone surrogates are replaced before this is called). */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}
