import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeManuscript, decodeWindows1252, describeEncoding, ImportError, normalizeLineEndings } from "./decode";

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);

describe("decodeManuscript", () => {
  it.each([
    ["plain UTF-8", utf8("Café “quoted”\n"), "Café “quoted”\n", "utf-8", false],
    ["UTF-8 with BOM", bytes(0xef, 0xbb, 0xbf, ...utf8("Hi\r\nthere")), "Hi\nthere", "utf-8", true],
    ["CRLF", utf8("a\r\nb\r\n\r\nc"), "a\nb\n\nc", "utf-8", false],
    ["classic Mac CR", utf8("a\rb\r\rc"), "a\nb\n\nc", "utf-8", false],
    ["mixed endings", utf8("a\r\nb\rc\nd"), "a\nb\nc\nd", "utf-8", false],
    // 0x93/0x94 are Windows-1252 curly quotes, 0xE9 é, 0x96 en dash, 0x80 €: none is valid UTF-8 here.
    ["Windows-1252", bytes(0x93, 0x43, 0x61, 0x66, 0xe9, 0x94, 0x20, 0x96, 0x20, 0x80, 0x35, 0x0d, 0x0a), "“Café” – €5\n", "windows-1252", false],
    ["Windows-1252 apostrophe", bytes(0x64, 0x6f, 0x6e, 0x92, 0x74), "don’t", "windows-1252", false],
    ["UTF-16 LE with BOM", bytes(0xff, 0xfe, 0x48, 0x00, 0xe9, 0x00, 0x0d, 0x00, 0x0a, 0x00), "Hé\n", "utf-16le", true],
    ["UTF-16 BE with BOM", bytes(0xfe, 0xff, 0x00, 0x48, 0x00, 0xe9), "Hé", "utf-16be", true],
    ["empty", bytes(), "", "utf-8", false],
    ["BOM then a zero-width no-break space in the text", bytes(0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf, 0x41), "\ufeffA", "utf-8", true],
  ] as const)("%s", (_name, input, text, encoding, byteOrderMark) => {
    expect(decodeManuscript(input)).toEqual({ text, encoding, byteOrderMark });
  });

  it("prefers UTF-8 when the bytes are valid UTF-8, even if they are also valid Windows-1252", () => {
    // "Ã©" in Windows-1252 is é in UTF-8: the far likelier reading of a modern file.
    expect(decodeManuscript(bytes(0xc3, 0xa9)).text).toBe("é");
  });

  it("falls back on a single invalid byte anywhere in the file", () => {
    const input = new Uint8Array([...utf8("a".repeat(10_000)), 0xe9]);
    const decoded = decodeManuscript(input);
    expect(decoded.encoding).toBe("windows-1252");
    expect(decoded.text.endsWith("aé")).toBe(true);
  });

  it("refuses binary files", () => {
    expect(() => decodeManuscript(bytes(0x50, 0x4b, 0x03, 0x04, 0x00, 0x00))).toThrow(ImportError);
    expect(() => decodeManuscript(bytes(0x50, 0x4b, 0x03, 0x04, 0x00, 0x00))).toThrow(/binary/);
  });

  it("round-trips any text through UTF-8 and leaves no CR behind", () => {
    fc.assert(fc.property(fc.string({ unit: "grapheme", maxLength: 200 }), (text) => {
      const decoded = decodeManuscript(utf8(text.replace(/\0/g, "")));
      expect(decoded.encoding).toBe("utf-8");
      expect(decoded.text).not.toContain("\r");
      expect(decoded.text).toBe(normalizeLineEndings(text.replace(/\0/g, "").replace(/^\ufeff/, "")));
    }));
  });
});

describe("decodeWindows1252", () => {
  it("matches the WHATWG table for every byte", () => {
    const all = new Uint8Array(256).map((_, i) => i);
    const text = decodeWindows1252(all);
    expect(text.length).toBe(256);
    expect(text.charCodeAt(0x41)).toBe(0x41);
    expect(text.charCodeAt(0xe9)).toBe(0xe9);
    expect(text.charAt(0x80)).toBe("€");
    expect(text.charAt(0x85)).toBe("…");
    expect(text.charAt(0x91) + text.charAt(0x92) + text.charAt(0x93) + text.charAt(0x94)).toBe("‘’“”");
    expect(text.charAt(0x96) + text.charAt(0x97)).toBe("–—");
    expect(text.charAt(0x9f)).toBe("Ÿ");
    // Undefined in Windows-1252: the C1 control of the same value.
    expect(text.charCodeAt(0x81)).toBe(0x81);
    expect(text.charCodeAt(0x9d)).toBe(0x9d);
  });

  it("handles files longer than one chunk", () => {
    const big = new Uint8Array(20_000).fill(0x93);
    expect(decodeWindows1252(big)).toBe("“".repeat(20_000));
  });
});

describe("describeEncoding", () => {
  it.each([
    ["utf-8", true, "UTF-8 with byte-order mark"],
    ["utf-8", false, "UTF-8"],
    ["windows-1252", false, "Windows-1252"],
    ["utf-16le", true, "UTF-16 LE"],
  ] as const)("%s bom=%s → %s", (encoding, bom, label) => {
    expect(describeEncoding(encoding, bom)).toBe(label);
  });
});
