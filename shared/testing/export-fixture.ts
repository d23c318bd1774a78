/**
 * A small book that stresses every exporter with what real manuscripts hold and corpus novels do not:
 * Greek, Cyrillic, Polish and Czech letters, a CJK passage, emoji, footnotes (one with a list), nested
 * lists, a block quote, scene breaks and one 10,000-word paragraph. Seed a MemoryVault (or write the
 * files to disk) with `exportFixtureFiles()`; the book folder is `EXPORT_FIXTURE_FOLDER`.
 */

export const EXPORT_FIXTURE_FOLDER = "Babel";

/** The 10,000-word paragraph: varied words, so line breaking and hyphenation have real work. */
export function longParagraph(words = 10_000): string {
  const vocabulary = (
    "the lighthouse keeper counted extraordinary waves against unremitting granite while correspondence " +
    "from the mainland accumulated unanswered beneath a barometer whose needle trembled toward " +
    "catastrophe and nevertheless she persevered through indistinguishable nights of inexhaustible weather"
  ).split(" ");
  const out: string[] = [];
  for (let i = 0; i < words; i++) {
    const word = vocabulary[(i * 7 + Math.floor(i / 13)) % vocabulary.length]!;
    out.push(i % 17 === 16 ? `${word},` : word);
  }
  return `${out.join(" ")}.`;
}

export function exportFixtureFiles(): Record<string, string> {
  const f = EXPORT_FIXTURE_FOLDER;
  return {
    [`${f}/Book.md`]: "---\nbookwright: book\ntitle: Babel Tower\nauthor: Zofia Łukasiewicz\nlanguage: en\n---\n",
    [`${f}/Chapters/01 Letters.md`]: [
      "---\nbookwright: chapter\nchapter: 1\ntitle: Letters from everywhere\n---",
      "The first letter was in Greek: «Καλημέρα, φίλε μου· η θάλασσα είναι ήσυχη σήμερα.» She read it twice.",
      "The second came from Moscow: «Здравствуй, дорогая. Мы всё ещё ждём весны.» The ink had run.",
      "The third was Polish, from Łódź, signed Michał Wójcik, and it mentioned żurek, źdźbło and Łukasz; the fourth, Czech, from Dvořák's niece, and one Hungarian word, hosszú, with its őrült ő.",
      "Then a passage her grandmother had copied: 月が綺麗ですね。海の向こうに灯台が見える。 Nobody in the village could read it.",
      "At the bottom, drawn in pencil: a lighthouse 🗼 and a wave 🌊, and a footnote mark.[^ink]",
      "***",
      "> Dear keeper,\n>\n> The lamp must never go out.\n\nShe folded the page.",
      "[^ink]: The ink was *sepia*, which the censor could not read.\n\n    - first reason\n    - second reason",
    ].join("\n\n"),
    [`${f}/Chapters/02 Lists.md`]: [
      "---\nbookwright: chapter\nchapter: 2\ntitle: What she kept\n---",
      "She made a list, as keepers do:",
      "1. Oil for the lamp\n2. Wicks, in three sizes:\n   - short\n   - long\n     - the very long ones, for winter\n3. Bread",
      "- a compass\n- a *brass* telescope",
      "# ",
      "Then she slept.^[Eight hours, for once.]",
    ].join("\n\n"),
    [`${f}/Chapters/03 Storm.md`]: `---\nbookwright: chapter\nchapter: 3\ntitle: The long night\n---\n\n${longParagraph()}\n\nMorning came.\n`,
  };
}
