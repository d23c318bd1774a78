import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createHyphenator } from "./hyphenate";

function hyphenatorFor(language: string): (word: string) => string[] {
  const hyphenate = createHyphenator(language);
  if (!hyphenate) throw new Error(`no hyphenator for ${language}`);
  return hyphenate;
}

const letters = (text: string) => [...text].filter((c) => /\p{L}/u.test(c)).length;

describe("createHyphenator", () => {
  it("splits English words into their syllables", () => {
    const en = hyphenatorFor("en");
    expect(en("hyphenation")).toEqual(["hy", "phen", "ation"]);
    expect(en("extraordinary")).toEqual(["ex", "tra", "or", "di", "nary"]);
    expect(en("possession")).toEqual(["pos", "ses", "sion"]);
  });

  it("uses the British patterns for en-GB, which break differently", () => {
    expect(hyphenatorFor("en-GB")("hyphenation")).toEqual(["hy", "phen", "a", "tion"]);
    expect(hyphenatorFor("en-AU")("hyphenation")).toEqual(["hy", "phen", "a", "tion"]);
    expect(hyphenatorFor("en-US")("hyphenation")).toEqual(["hy", "phen", "ation"]);
  });

  it("hyphenates Polish, Russian and German words", () => {
    expect(hyphenatorFor("pl")("niepodległość")).toEqual(["nie", "pod", "le", "głość"]);
    expect(hyphenatorFor("ru-RU")("государство")).toEqual(["го", "су", "дар", "ство"]);
    expect(hyphenatorFor("de-AT")("Silbentrennung")).toEqual(["Sil", "ben", "tren", "nung"]);
  });

  it("maps every supported language tag, in either case and with underscores", () => {
    for (const tag of ["en", "EN-gb", "en_US", "de", "de-CH", "fr-CA", "es-MX", "it", "nl-BE", "pt-BR", "pl-PL", "ru", "en-Latn-GB"]) {
      expect(createHyphenator(tag), tag).not.toBeNull();
    }
    expect(createHyphenator("en-Latn-GB")).toBe(createHyphenator("en-GB"));
  });

  it("returns null for a language without patterns", () => {
    expect(createHyphenator("ja")).toBeNull();
    expect(createHyphenator("zz-ZZ")).toBeNull();
    expect(createHyphenator("")).toBeNull();
  });

  it("leaves short words whole and keeps two letters before and three after a break", () => {
    const en = hyphenatorFor("en");
    for (const word of ["the", "word", "cats", "a", ""]) expect(en(word)).toEqual([word]);
    // The patterns alone would give "hel-lo" and "hap-pi-ly"; two letters are too few to carry over.
    expect(en("hello")).toEqual(["hello"]);
    expect(en("happily")).toEqual(["hap", "pily"]);
    expect(en("table")).toEqual(["ta", "ble"]);
  });

  it("keeps surrounding punctuation on the outer syllables", () => {
    const en = hyphenatorFor("en");
    expect(en("(possession),")).toEqual(["(pos", "ses", "sion),"]);
    expect(en("“Netherfield,")).toEqual(["“Nether", "field,"]);
    expect(en("Elizabeth’s")).toEqual(["Eliz", "a", "beth’s"]);
  });

  it("returns words with digits or hyphens whole", () => {
    const en = hyphenatorFor("en");
    for (const word of ["well-known", "1990s", "extraordinary1", "e-mail", "twenty–thirty", "hyphen\u00ADation", "e.g.", "extra.ordinary"]) {
      expect(en(word)).toEqual([word]);
    }
  });

  it("caches per word without letting a caller corrupt the cache", () => {
    const en = hyphenatorFor("en");
    expect(createHyphenator("en-US")).toBe(en);
    const first = en("extraordinary");
    first.push("mutated");
    expect(en("extraordinary")).toEqual(["ex", "tra", "or", "di", "nary"]);
  });

  it("always returns non-empty syllables that join back to the word, within the letter limits", () => {
    const en = hyphenatorFor("en");
    const ru = hyphenatorFor("ru");
    fc.assert(
      fc.property(fc.stringMatching(/^[“(]?[a-zA-Z’']{0,24}[,.;)”]?$/), fc.stringMatching(/^[а-я]{0,18}$/), (latin, cyrillic) => {
        for (const [hyphenate, word] of [[en, latin], [ru, cyrillic]] as const) {
          const parts = hyphenate(word);
          expect(parts.join("")).toBe(word);
          if (parts.length > 1) {
            expect(parts.every((p) => p.length > 0)).toBe(true);
            expect(letters(word)).toBeGreaterThanOrEqual(5);
            expect(letters(parts[0] ?? "")).toBeGreaterThanOrEqual(2);
            expect(letters(parts[parts.length - 1] ?? "")).toBeGreaterThanOrEqual(3);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
