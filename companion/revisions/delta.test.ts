import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyDelta, DeltaError, encodeDelta } from "./delta";
import { corpusChapter, seededRandom, smallEdit } from "./storage-measure";

const roundTrip = (base: Buffer, target: Buffer): Buffer => applyDelta(base, encodeDelta(base, target));

/** Texts made of a few recurring lines, so the line matcher has repeats and blank lines to get wrong. */
const linesText = fc
  .array(fc.oneof(fc.constantFrom("", "the same line", "Chapter 1", "  indented", "ünïcödé ✓ 🙂"), fc.string({ maxLength: 30, unit: "grapheme" })), { maxLength: 40 })
  .chain((lines) => fc.constantFrom("\n", "\r\n").map((eol) => lines.join(eol)));

describe("encodeDelta / applyDelta", () => {
  it("rebuilds any target from any base (bytes)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 }), (base, target) => {
        expect(roundTrip(Buffer.from(base), Buffer.from(target)).equals(Buffer.from(target))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("rebuilds any target from any base (line-structured texts, Unicode)", () => {
    fc.assert(
      fc.property(linesText, linesText, (base, target) => {
        expect(roundTrip(Buffer.from(base), Buffer.from(target)).toString("utf8")).toBe(target);
      }),
      { numRuns: 300 },
    );
  });

  it("rebuilds a text after random splices of another text's pieces", () => {
    fc.assert(
      fc.property(
        linesText,
        fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat(), fc.nat()), { maxLength: 8 }),
        (base, splices) => {
          let target = base;
          for (const [at, remove, from, length] of splices) {
            const start = target.length === 0 ? 0 : at % (target.length + 1);
            const piece = base.slice(from % (base.length + 1), (from % (base.length + 1)) + (length % 40));
            target = target.slice(0, start) + piece + target.slice(start + (remove % 20));
          }
          // Slicing may split a surrogate pair; compare the bytes the store would keep.
          expect(roundTrip(Buffer.from(base), Buffer.from(target)).equals(Buffer.from(target))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("handles the edges: empty base, empty target, equal texts, a split multi-byte character", () => {
    const text = Buffer.from("naïve café — 🙂 end\n");
    for (const [base, target] of [
      [Buffer.alloc(0), text],
      [text, Buffer.alloc(0)],
      [text, text],
      [Buffer.alloc(0), Buffer.alloc(0)],
      [Buffer.from("🙂"), Buffer.from("🙃")],
      [Buffer.from("aé"), Buffer.from("aè")],
    ] as const) {
      expect(roundTrip(base, target).equals(target)).toBe(true);
    }
  });

  it("keeps a small edit of a 5,000-word chapter to a few dozen bytes", () => {
    const chapter = corpusChapter(5000);
    const random = seededRandom(7);
    let base = chapter;
    for (let i = 0; i < 20; i++) {
      const target = smallEdit(base, random);
      const delta = encodeDelta(Buffer.from(base), Buffer.from(target));
      const inserted = Math.abs(Buffer.byteLength(target) - Buffer.byteLength(base));
      // The inserted sentence or replacement word, plus a handful of op bytes.
      expect(delta.length).toBeLessThan(inserted + 40);
      expect(applyDelta(Buffer.from(base), delta).toString("utf8")).toBe(target);
      base = target;
    }
  });

  it("moves whole paragraphs as copies, not inserts", () => {
    const paragraphs = corpusChapter(1500).split("\n\n");
    const reordered = [...paragraphs.slice(5), ...paragraphs.slice(0, 5)].join("\n\n");
    const base = Buffer.from(paragraphs.join("\n\n"));
    const delta = encodeDelta(base, Buffer.from(reordered));
    expect(delta.length).toBeLessThan(200);
    expect(applyDelta(base, delta).toString("utf8")).toBe(reordered);
  });

  it("refuses a delta that does not fit its base", () => {
    const base = Buffer.from("The quick brown fox jumps over the lazy dog.\n".repeat(20));
    const target = Buffer.from(base.toString().replace("lazy", "sleepy"));
    const delta = encodeDelta(base, target);
    expect(() => applyDelta(base.subarray(0, 40), delta)).toThrow(DeltaError);
    expect(() => applyDelta(base, delta.subarray(0, delta.length - 3))).toThrow(DeltaError);
    expect(() => applyDelta(base, Buffer.from([9, 0]))).toThrow(/unknown delta format/);
  });
});
