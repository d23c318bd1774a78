import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isInFolder, parentFolder } from "../vault/vault-files";
import { MAX_STEM_BYTES, MAX_STEM_LENGTH, safeFileName, safeFileNameWithSuffix, safeNotePath } from "./safe-name";

const FORBIDDEN = ["*", '"', "\\", "/", "<", ">", ":", "|", "?", "#", "^", "[", "]"];
const RESERVED_BASE = /^(con|prn|aux|nul|conin\$|conout\$|com[0-9¹²³]|lpt[0-9¹²³])$/i;

/** Every UTF-16 unit, lone surrogates included: titles pasted from broken sources carry them. */
const anyUnits = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 60 });
const anyCodePoints = fc.string({ unit: "binary", maxLength: 200 });
const graphemes = fc.string({ unit: "grapheme", maxLength: 80 });
/** Pieces that have broken real file names: traversal, device names, dots, controls, separators. */
const nasty = fc
  .array(
    fc.constantFrom(
      "../", "..\\", "..", ".", " ", "  ", "\t", "\n", "\r\n", "CON", "con", "con.txt", "Nul .md", "LPT1", "com¹",
      "COM0", "CONIN$", "aux.", "\u0000", "\u001f", "\u007f", "\u0085", "\u009f", "e\u0301", "\u0301", "<\u0338",
      "\ud800", "\udc00", "😀", "👩‍👩‍👧", "…", "\u00a0", "\u2028", "\ufeff", "a", "Chapter", "漢字", ...FORBIDDEN,
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(""));
const titles = fc.oneof(anyUnits, anyCodePoints, graphemes, nasty);

/** No unpaired surrogate (String.prototype.isWellFormed is newer than the ES2022 lib we target). */
function isWellFormed(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return false;
  }
  return true;
}

function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= 0x1f || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}

function checkSafe(name: string): void {
  expect(name.length).toBeGreaterThan(0);
  expect(name.length).toBeLessThanOrEqual(MAX_STEM_LENGTH);
  expect(new TextEncoder().encode(name).length).toBeLessThanOrEqual(MAX_STEM_BYTES);
  for (const char of FORBIDDEN) expect(name).not.toContain(char);
  expect(hasControl(name)).toBe(false);
  expect(isWellFormed(name)).toBe(true);
  expect(name.normalize("NFC")).toBe(name);
  expect(name).not.toMatch(/^[. ]|[. ]$/);
  expect(name).not.toMatch(/\s\s/);
  expect(name === "." || name === "..").toBe(false);
  expect(RESERVED_BASE.test(name.split(".")[0]!.trimEnd())).toBe(false);
}

describe("safeFileName properties", () => {
  it("is idempotent", () => {
    fc.assert(fc.property(titles, (title) => {
      const once = safeFileName(title);
      expect(safeFileName(once)).toBe(once);
    }), { numRuns: 2000 });
  });

  it("produces a non-empty name with no forbidden, control or unpaired characters and no device name", () => {
    fc.assert(fc.property(titles, (title) => checkSafe(safeFileName(title))), { numRuns: 2000 });
  });

  it("keeps a note path directly inside its folder", () => {
    const folders = fc.constantFrom("", "Book", "My Book/Chapters", "a/b/c");
    fc.assert(fc.property(folders, titles, (folder, title) => {
      const path = safeNotePath(folder, title);
      expect(isInFolder(path, folder)).toBe(true);
      expect(parentFolder(path)).toBe(folder);
      expect(path.endsWith(".md")).toBe(true);
    }), { numRuns: 2000 });
  });

  it("never cuts the suffix off, however long the title", () => {
    fc.assert(fc.property(titles, fc.integer({ min: 2, max: 999 }), (title, n) => {
      const name = safeFileNameWithSuffix(title, ` (${n})`);
      checkSafe(name);
      expect(name.endsWith(` (${n})`)).toBe(true);
    }), { numRuns: 1000 });
  });
});

describe("safeFileName examples", () => {
  it.each([
    ["Chapter 3: The Storm", "Chapter 3 The Storm"],
    ["What now?", "What now"],
    ["either/or", "either-or"],
    ["back\\slash | pipe", "back-slash - pipe"],
    ['"Quoted" <tag> *star*', "Quoted tag star"],
    ["#1 [draft] ^block", "1 draft block"],
    ["../../etc/passwd", "-..-etc-passwd"],
    ["..\\..\\boot.ini", "-..-boot.ini"],
    ["..", "Untitled"],
    ["...", "Untitled"],
    ["   ", "Untitled"],
    ["", "Untitled"],
    [".hidden", "hidden"],
    ["trailing dots...", "trailing dots"],
    ["  spaced   out \t title\n", "spaced out title"],
    ["tab\u0000nul\u0007bell\u007fdel\u0085nel", "tab nul bell del nel"],
    ["CON", "CON_"],
    ["con", "con_"],
    ["con.txt", "con_.txt"],
    ["Nul .md", "Nul_ .md"],
    ["LPT9", "LPT9_"],
    ["com¹", "com¹_"],
    ["CONSOLE", "CONSOLE"],
    ["Aux Arms", "Aux Arms"],
    ["e\u0301te\u0301", "été"],
    ["So... we meet", "So... we meet"],
    ["lone \ud800 surrogate", "lone \ufffd surrogate"],
    ["漢字の章", "漢字の章"],
  ])("%j → %j", (title, expected) => {
    expect(safeFileName(title)).toBe(expected);
  });

  it("uses the fallback when nothing is left, made safe too", () => {
    expect(safeFileName("???", "Chapter 7")).toBe("Chapter 7");
    expect(safeFileName("...", "CON")).toBe("CON_");
    expect(safeFileName("...", "...")).toBe("Untitled");
  });

  it("caps the length without splitting a surrogate pair or a grapheme", () => {
    const emoji = safeFileName("😀".repeat(100));
    expect(emoji.length).toBeLessThanOrEqual(MAX_STEM_LENGTH);
    expect(emoji).toBe("😀".repeat(50));
    // x + acute has no precomposed form, so each pair stays two units and must not be split.
    const accents = safeFileName("x\u0301".repeat(100));
    expect(accents).toBe("x\u0301".repeat(60));
    expect(safeFileName("x".repeat(119) + "😀")).toBe("x".repeat(119));
  });

  it("caps the UTF-8 length so CJK titles fit a 255-byte file name", () => {
    const name = safeFileName("章".repeat(120));
    expect(new TextEncoder().encode(name).length).toBeLessThanOrEqual(MAX_STEM_BYTES);
    expect(name).toBe("章".repeat(66));
  });

  it("drops a trailing space or dot left by the cut", () => {
    expect(safeFileName("a".repeat(119) + " b")).toBe("a".repeat(119));
    expect(safeFileName("a".repeat(119) + ".b")).toBe("a".repeat(119));
  });
});

describe("safeNotePath", () => {
  it.each([
    ["Book/Chapters", "01 Chapter 1", "Book/Chapters/01 Chapter 1.md"],
    ["Book\\Chapters/", "../escape", "Book/Chapters/-escape.md"],
    ["", "CON", "CON_.md"],
    ["Book", "a/b/c", "Book/a-b-c.md"],
  ])("(%j, %j) → %j", (folder, stem, expected) => {
    expect(safeNotePath(folder, stem)).toBe(expected);
  });

  it("refuses a folder that itself leaves the vault", () => {
    expect(() => safeNotePath("../outside", "note")).toThrow(/leave the vault/);
  });
});
