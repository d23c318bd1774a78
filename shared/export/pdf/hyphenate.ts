// Hyphenation for the print-PDF line breaker: Liang's TeX patterns through the `hyphen` package.
// `hyphen` ships CommonJS without type declarations, and shared/ may not add a .d.ts of its own here,
// so each import carries an expect-error and the values are typed once, at the pattern map below.
// @ts-expect-error -- untyped CommonJS module; its shape is asserted by `HyphenFactory`.
import createLibraryHyphenator from "hyphen/hyphen.js";
// @ts-expect-error -- untyped pattern module.
import de from "hyphen/patterns/de-1996.js";
// @ts-expect-error -- untyped pattern module.
import enGb from "hyphen/patterns/en-gb.js";
// @ts-expect-error -- untyped pattern module.
import enUs from "hyphen/patterns/en-us.js";
// @ts-expect-error -- untyped pattern module.
import es from "hyphen/patterns/es.js";
// @ts-expect-error -- untyped pattern module.
import fr from "hyphen/patterns/fr.js";
// @ts-expect-error -- untyped pattern module.
import it from "hyphen/patterns/it.js";
// @ts-expect-error -- untyped pattern module.
import nl from "hyphen/patterns/nl.js";
// @ts-expect-error -- untyped pattern module.
import pl from "hyphen/patterns/pl.js";
// @ts-expect-error -- untyped pattern module.
import pt from "hyphen/patterns/pt.js";
// @ts-expect-error -- untyped pattern module.
import ru from "hyphen/patterns/ru.js";

/** The opaque pattern data a `hyphen/patterns/*` module exports. */
type Patterns = unknown;
type HyphenFactory = (
  patterns: Patterns,
  options: { html?: boolean; hyphenChar?: string; minWordLength?: number },
) => (text: string) => string;

const libraryHyphenator = createLibraryHyphenator as HyphenFactory;

type PatternSet = "de" | "en-gb" | "en-us" | "es" | "fr" | "it" | "nl" | "pl" | "pt" | "ru";

// Every set here lands in the plugin bundle (about 1.7 MB of patterns in all, German alone 0.75 MB),
// so the list stays at the languages the exporter promises rather than everything `hyphen` offers.
const PATTERNS: Record<PatternSet, Patterns> = {
  de: de as Patterns,
  "en-gb": enGb as Patterns,
  "en-us": enUs as Patterns,
  es: es as Patterns,
  fr: fr as Patterns,
  it: it as Patterns,
  nl: nl as Patterns,
  pl: pl as Patterns,
  pt: pt as Patterns,
  ru: ru as Patterns,
};

// Commonwealth English follows British spelling, whose patterns differ from the American ones.
const BRITISH_REGIONS = new Set(["gb", "uk", "au", "nz", "ie", "za", "in"]);

/** The pattern set for a BCP 47 tag (`en-GB`, `de-AT`, `pt_BR`, `sr-Latn-RS` style), or null. */
function patternSetFor(language: string): PatternSet | null {
  const subtags = language.trim().toLowerCase().split(/[-_]/);
  const primary = subtags[0] ?? "";
  // A region is the first two-letter (or three-digit) subtag after the primary one; scripts are four letters.
  const region = subtags.slice(1).find((s) => /^(?:[a-z]{2}|\d{3})$/.test(s));
  switch (primary) {
    case "en":
    case "eng":
      return region !== undefined && BRITISH_REGIONS.has(region) ? "en-gb" : "en-us";
    case "de":
    case "deu":
    case "ger":
      // The 1996 reform spelling is what German books are set in today, Swiss ones included.
      return "de";
    case "fr":
    case "fra":
    case "fre":
      return "fr";
    case "es":
    case "spa":
      return "es";
    case "it":
    case "ita":
      return "it";
    case "nl":
    case "nld":
    case "dut":
      return "nl";
    case "pt":
    case "por":
      return "pt";
    case "pl":
    case "pol":
      return "pl";
    case "ru":
    case "rus":
      return "ru";
    default:
      return null;
  }
}

/** Fewest letters a word needs before it is worth breaking at all. */
const MIN_WORD_LETTERS = 5;
/** Letters kept before and after a break, as TeX's \lefthyphenmin and \righthyphenmin for English. */
const MIN_BEFORE = 2;
const MIN_AFTER = 3;
const SOFT_HYPHEN = "\u00AD";

const LETTER_OR_MARK = /[\p{L}\p{M}]/u;
// The word core the patterns see: letters (with their combining marks) and word-internal apostrophes.
const CORE = /^[\p{L}\p{M}'’]+$/u;
const LETTER = /\p{L}/u;
const HAS_DIGIT_OR_DASH = /[\p{Nd}\-‐‑‒–—]/u;

function letterCount(text: string): number {
  let n = 0;
  for (const ch of text) if (LETTER.test(ch)) n++;
  return n;
}

/** The word split into leading punctuation, its core from first to last letter, and trailing punctuation. */
function splitCore(word: string): [string, string, string] | null {
  let first = 0;
  while (first < word.length && !LETTER_OR_MARK.test(word[first] ?? "")) first++;
  let last = word.length - 1;
  while (last > first && !LETTER_OR_MARK.test(word[last] ?? "")) last--;
  const core = word.slice(first, last + 1);
  return first < word.length && CORE.test(core) ? [word.slice(0, first), core, word.slice(last + 1)] : null;
}

/** A novel has some 15,000 distinct words; the bound only matters for a session that exports many books. */
const MAX_CACHED = 100_000;

// One hyphenator per pattern set for the whole session, so the word cache outlives a single paragraph:
// a novel uses a few thousand distinct words many times over.
const hyphenators = new Map<PatternSet, (word: string) => string[]>();

/**
 * A function giving the syllables of a word for `language` (a BCP 47 tag), or null when there are no
 * patterns for it (the caller then does not hyphenate). The syllables always join back to the word.
 */
export function createHyphenator(language: string): ((word: string) => string[]) | null {
  const set = patternSetFor(language);
  if (set === null) return null;
  const existing = hyphenators.get(set);
  if (existing) return existing;

  // html:false, because book text is not markup and `<` must not start a skipped "tag".
  const insertSoftHyphens = libraryHyphenator(PATTERNS[set], { html: false, hyphenChar: SOFT_HYPHEN, minWordLength: MIN_WORD_LETTERS });
  const cache = new Map<string, string[]>();
  // Break offsets per lower-cased core, so "Bingley", "Bingley’s" and "“Bingley," ask the (slow) library once.
  const coreBreaks = new Map<string, number[]>();

  const breaksOf = (core: string): number[] => {
    const lower = core.toLocaleLowerCase();
    // Lower-casing can change a word's length (Turkish İ); such a word is looked up as it is.
    const key = lower.length === core.length ? lower : core;
    let offsets = coreBreaks.get(key);
    if (offsets !== undefined) return offsets;
    offsets = [];
    const parts = insertSoftHyphens(key).split(SOFT_HYPHEN);
    if (parts.join("") === key) {
      // The library keeps only two letters after a break; English (and good practice elsewhere) wants three.
      const total = letterCount(key);
      let offset = 0;
      let before = 0;
      for (const part of parts.slice(0, -1)) {
        offset += part.length;
        before += letterCount(part);
        if (before >= MIN_BEFORE && total - before >= MIN_AFTER) offsets.push(offset);
      }
    }
    if (coreBreaks.size >= MAX_CACHED) coreBreaks.clear();
    coreBreaks.set(key, offsets);
    return offsets;
  };

  const syllables = (word: string): string[] => {
    const split = splitCore(word);
    // Numbers, compounds and anything with inner punctuation are left whole: their explicit hyphens
    // are break points already, and patterns give nonsense for "1990s" or "e.g.".
    if (!split || HAS_DIGIT_OR_DASH.test(word) || word.includes(SOFT_HYPHEN)) return [word];
    const [lead, core, trail] = split;
    if (letterCount(core) < MIN_WORD_LETTERS) return [word];
    const offsets = breaksOf(core);
    if (offsets.length === 0) return [word];
    const parts: string[] = [];
    let from = 0;
    for (const offset of offsets) {
      parts.push(core.slice(from, offset));
      from = offset;
    }
    parts.push(core.slice(from));
    parts[0] = lead + (parts[0] ?? "");
    parts[parts.length - 1] = (parts[parts.length - 1] ?? "") + trail;
    return parts;
  };

  const cached = (word: string): string[] => {
    let parts = cache.get(word);
    if (parts === undefined) {
      parts = syllables(word);
      if (cache.size >= MAX_CACHED) cache.clear();
      cache.set(word, parts);
    }
    // A copy, so a caller that edits the array cannot corrupt the cache.
    return parts.slice();
  };
  hyphenators.set(set, cached);
  return cached;
}
