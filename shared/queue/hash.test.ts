import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { hashText } from "./hash";

describe("hashText", () => {
  it("matches the published FNV-1a 64 vectors for ASCII", () => {
    expect(hashText("")).toBe("cbf29ce484222325");
    expect(hashText("a")).toBe("af63dc4c8601ec8c");
    expect(hashText("foobar")).toBe("85944171f73967e8");
  });

  it("is 16 lowercase hex digits and deterministic", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (text) => {
        const hash = hashText(text);
        expect(hash).toMatch(/^[0-9a-f]{16}$/);
        expect(hashText(text)).toBe(hash);
      }),
    );
  });

  it("tells apart texts that differ in one character, line endings or a BOM", () => {
    expect(hashText("one\ntwo")).not.toBe(hashText("one\r\ntwo"));
    expect(hashText("\uFEFFtext")).not.toBe(hashText("text"));
    expect(hashText("The storm came.")).not.toBe(hashText("The storm came!"));
    // Lone surrogates count as they are; UTF-8 would have collapsed both to U+FFFD.
    expect(hashText("\ud800")).not.toBe(hashText("\udc00"));
  });

  it("has no collisions among many distinct short texts", () => {
    const seen = new Map<string, string>();
    for (let i = 0; i < 20000; i++) {
      const text = `sentinel ${i}`;
      const hash = hashText(text);
      expect(seen.get(hash)).toBeUndefined();
      seen.set(hash, text);
    }
  });

  it("hashes a novel-sized chapter quickly (it runs inside Vault.process)", () => {
    const chapter = "The keeper climbed the stairs. ".repeat(20000);
    const start = performance.now();
    hashText(chapter);
    expect(performance.now() - start).toBeLessThan(200);
  });
});
