import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { changedWords, diffWords, tokenize, type DiffOp } from "./word-diff";
import { seededRandom } from "../util/seeded-random";

const side = (ops: readonly DiffOp[], keep: "insert" | "delete"): string =>
  ops.filter((o) => o.op === "equal" || o.op === keep).map((o) => o.text).join("");

/** Both texts come back from the ops, and the ops are in their tidy form. */
function expectValid(a: string, b: string, ops: readonly DiffOp[], tidy = true): void {
  expect(side(ops, "delete")).toBe(a);
  expect(side(ops, "insert")).toBe(b);
  for (const op of ops) expect(op.text).not.toBe("");
  for (let i = 1; i < ops.length; i++) {
    expect(ops[i]!.op).not.toBe(ops[i - 1]!.op);
    // Within a change, the deletion comes first.
    if (tidy) expect(ops[i - 1]!.op === "insert" && ops[i]!.op === "delete").toBe(false);
  }
}

/** Whole numbers from the shared seeded generator, so the long texts are the same on every run. */
function random(seed: number): () => number {
  const next = seededRandom(seed);
  return () => Math.floor(next() * 4294967296);
}

const changes = (ops: readonly DiffOp[]): DiffOp[] => ops.filter((o) => o.op !== "equal");

/** Random prose from a small vocabulary, so texts share words and the diff has work to do. */
const prose = fc
  .array(fc.constantFrom("the", "cat", "sat", "on", "a", "mat", "Don’t", "dog", " ", " ", " ", "\n\n", ",", ".", "—", "é"), { maxLength: 80 })
  .map((parts) => parts.join(""));

describe("tokenize", () => {
  it("cuts text into whitespace runs, words and single other characters", () => {
    expect(tokenize("Don’t stop—now,  said Mr. Darcy’s 3.14\n\nfriend")).toEqual([
      "Don’t", " ", "stop", "—", "now", ",", "  ", "said", " ", "Mr", ".", " ", "Darcy’s", " ", "3", ".", "14", "\n\n", "friend",
    ]);
  });

  it("joins back into any string, lone surrogates included (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 60 }), (text) => tokenize(text).join("") === text),
      { numRuns: 1000 },
    );
  });
});

describe("diffWords", () => {
  it.each([
    ["equal texts", "same text", "same text", [{ op: "equal", text: "same text" }]],
    ["both empty", "", "", []],
    ["from nothing", "", "new words", [{ op: "insert", text: "new words" }]],
    ["to nothing", "old words", "", [{ op: "delete", text: "old words" }]],
    [
      "one word replaced",
      "the cat sat",
      "the dog sat",
      [
        { op: "equal", text: "the " },
        { op: "delete", text: "cat" },
        { op: "insert", text: "dog" },
        { op: "equal", text: " sat" },
      ],
    ],
    [
      "a phrase rewritten reads as one change",
      "and the quick brown fox ran",
      "and a slow red fox ran",
      [
        { op: "equal", text: "and " },
        { op: "delete", text: "the quick brown" },
        { op: "insert", text: "a slow red" },
        { op: "equal", text: " fox ran" },
      ],
    ],
    [
      "a word inserted",
      "She walked home.",
      "She slowly walked home.",
      [
        { op: "equal", text: "She " },
        { op: "insert", text: "slowly " },
        { op: "equal", text: "walked home." },
      ],
    ],
  ] as const)("%s", (_name, a, b, expected) => {
    const ops = diffWords(a, b);
    expect(ops).toEqual(expected);
    expectValid(a, b, ops);
  });

  it("applying equal+insert gives b and equal+delete gives a (property, shared vocabulary)", () => {
    fc.assert(
      fc.property(prose, prose, (a, b) => {
        expectValid(a, b, diffWords(a, b));
      }),
      { numRuns: 1500 },
    );
  });

  it("rebuilds both texts for arbitrary strings (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 80 }), fc.string({ unit: "binary", maxLength: 80 }), (a, b) => {
        expectValid(a, b, diffWords(a, b));
      }),
      { numRuns: 1000 },
    );
  });

  it("rebuilds both texts when the cost cap cuts the search short (property)", () => {
    fc.assert(
      fc.property(prose, prose, fc.integer({ min: 1, max: 4 }), (a, b, maxCost) => {
        expectValid(a, b, diffWords(a, b, { maxCost }));
      }),
      { numRuns: 1000 },
    );
  });

  it("rebuilds both texts when the work budget runs out (property)", () => {
    fc.assert(
      fc.property(prose, prose, fc.integer({ min: 0, max: 40 }), (a, b, maxWork) => {
        expectValid(a, b, diffWords(a, b, { maxWork }));
      }),
      { numRuns: 1000 },
    );
  });

  it("rebuilds both texts when comparing lines first (property)", () => {
    const lines = fc
      .array(fc.constantFrom("the cat sat.", "a dog", "\n", "\n\n", " ", "on the mat", "—", "Don’t"), { maxLength: 40 })
      .map((parts) => parts.join(""));
    fc.assert(
      fc.property(lines, lines, fc.boolean(), (a, b, cleanup) => {
        const ops = diffWords(a, b, { lines: true, cleanup });
        expectValid(a, b, ops, cleanup);
      }),
      { numRuns: 1500 },
    );
  });

  it("finds a shortest script: its equal tokens are a longest common subsequence (property, small inputs)", () => {
    const words = fc.array(fc.constantFrom("a", "b", "c", ",", ".", " "), { maxLength: 16 }).map((p) => p.join(""));
    fc.assert(
      fc.property(words, words, (a, b) => {
        const ta = tokenize(a);
        const tb = tokenize(b);
        const table = Array.from({ length: ta.length + 1 }, () => new Array<number>(tb.length + 1).fill(0));
        for (let i = ta.length - 1; i >= 0; i--) {
          for (let j = tb.length - 1; j >= 0; j--) {
            table[i]![j] = ta[i] === tb[j] ? table[i + 1]![j + 1]! + 1 : Math.max(table[i + 1]![j]!, table[i]![j + 1]!);
          }
        }
        const equalTokens = (ops: DiffOp[]): number =>
          ops.filter((o) => o.op === "equal").reduce((sum, o) => sum + tokenize(o.text).length, 0);
        const raw = diffWords(a, b, { cleanup: false });
        expectValid(a, b, raw, false);
        expect(equalTokens(raw)).toBe(table[0]![0]!);
        // Folding short equal runs into the changes around them can only lower the count.
        expect(equalTokens(diffWords(a, b))).toBeLessThanOrEqual(table[0]![0]!);
      }),
      { numRuns: 1000 },
    );
  });

  it("keeps a 5,000-word chapter with a few edits to a handful of changes", () => {
    const vocabulary = `storm keeper lamp light sea rock night wind wave boat shore tower glass stair rope salt the a of and
      to in was he she it that with his her for on at by they had from but not as were be this which one all
      would there their what so up out if about who get go me when make can like time no just him know take
      people into year your good some could them see other than then now look only come its over think also`.split(/\s+/);
    const next = random(7);
    const words: string[] = [];
    for (let i = 0; i < 5000; i++) words.push(vocabulary[next() % vocabulary.length]!);
    const sentences: string[] = [];
    for (let i = 0; i < words.length; i += 10) sentences.push(`${words.slice(i, i + 10).join(" ")}.`);
    const paragraphs: string[] = [];
    for (let i = 0; i < sentences.length; i += 8) paragraphs.push(sentences.slice(i, i + 8).join(" "));
    const a = paragraphs.join("\n\n");

    const edited = [...paragraphs];
    edited[3] = edited[3]!.replace(/^(\S+ \S+ )\S+/, "$1tempest");
    edited[20] = `A new sentence the writer added. ${edited[20]}`;
    edited.splice(40, 1);
    edited[55] = edited[55]!.replace(/ \w+ \w+\./, " and then, quite suddenly, silence.");
    const b = edited.join("\n\n");

    expect(a.length).toBeGreaterThan(20_000);
    // Lines first (the default at this length) and words only: the same few changes either way.
    for (const lines of [undefined, false]) {
      const ops = diffWords(a, b, { lines });
      expectValid(a, b, ops);
      // Four edits: a word replaced (delete + insert), a sentence added, a paragraph cut, a phrase rewritten.
      expect(changes(ops).length).toBeGreaterThanOrEqual(4);
      expect(changes(ops).length).toBeLessThanOrEqual(8);
      expect(ops.length).toBeLessThanOrEqual(13);
      expect(changes(ops).find((o) => o.op === "insert" && o.text.includes("tempest"))).toBeDefined();
      expect(changes(ops).find((o) => o.op === "insert" && o.text.includes("A new sentence the writer added."))).toBeDefined();
      expect(changes(ops).find((o) => o.op === "delete" && o.text.includes(paragraphs[40]!))).toBeDefined();
      const count = (t: string): number => t.split(/\s+/).filter((w) => /\w/.test(w)).length;
      const { inserted, deleted } = changedWords(ops, count);
      expect(inserted).toBeGreaterThanOrEqual(9);
      expect(deleted).toBeGreaterThanOrEqual(80);
      expect(deleted).toBeLessThanOrEqual(100);
    }
  });

  it("stays correct on two unrelated 5,000-word texts (the limits' worst case)", () => {
    const next = random(1);
    const text = (vocabulary: string[]): string => Array.from({ length: 5000 }, () => vocabulary[next() % vocabulary.length]!).join(" ");
    const a = text("alpha beta gamma delta epsilon zeta eta theta".split(" "));
    const b = text("iota kappa lambda mu nu xi omicron pi".split(" "));
    const ops = diffWords(a, b);
    expectValid(a, b, ops);
  });
});

describe("changedWords", () => {
  it("counts words in inserted and deleted text only", () => {
    const count = (t: string): number => t.split(/\s+/).filter(Boolean).length;
    expect(changedWords(diffWords("one two three", "one four five three"), count)).toEqual({ inserted: 2, deleted: 1 });
  });
});
