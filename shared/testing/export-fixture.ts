/**
 * A small book that stresses every exporter with what real manuscripts hold and corpus novels do not:
 * Greek, Cyrillic, Polish and Czech letters, a CJK passage, emoji, footnotes (one with a list), nested
 * lists, a block quote, scene breaks, two pictures and one 10,000-word paragraph. `seedExportFixture(vault)`
 * writes it all; `exportFixtureFiles()` alone leaves the pictures out (their embeds are then reported as
 * missing). The book folder is `EXPORT_FIXTURE_FOLDER`.
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
      "![[Map of the island.png]]",
      "She pinned the map up, beside the old chart: ![The chart of the reef](<Art/reef chart.jpg>)",
    ].join("\n\n"),
    [`${f}/Chapters/03 Storm.md`]: `---\nbookwright: chapter\nchapter: 3\ntitle: The long night\n---\n\n${longParagraph()}\n\nMorning came.\n`,
  };
}

/** A 6 × 4 px RGB PNG and a 16 × 16 px JPEG (CPython's imghdr test image), embedded by chapter 2. */
const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAYAAAAECAIAAAAiZtkUAAAAOklEQVR4nBXKQRHAMAwEsYNjEAYROIJjEAYRWE33qdkkKk6IiRtJq3aaNu32I4rjb7jvzqp1ljXrrg+okR0R52djAgAAAABJRU5ErkJggg==";
export const FIXTURE_JPEG =
  "/9j/4AAQSkZJRgABAQEAAQABAAD/2wBDAAMCAgICAgMCAgIDAwMDBAYEBAQEBAgGBgUGCQgKCgkICQkKDA8MCgsOCwkJDRENDg8QEBEQCgwSExIQEw8QEBD/2wBDAQMDAwQDBAgEBAgQCwkLEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBD/wAARCAAQABADASIAAhEBAxEB/8QAFgABAQEAAAAAAAAAAAAAAAAABwQF/8QAJBAAAQQBBAICAwAAAAAAAAAAAQIDBAYFBwgSExEiABQJMTL/xAAVAQEBAAAAAAAAAAAAAAAAAAAABv/EACMRAAECBQMFAAAAAAAAAAAAAAECEQMEBQYhABIxFRZhgeH/2gAMAwEAAhEDEQA/ABSm0mobc8HmExLUlRzzEWPkJWW+ulrsaUVAseUgslSlH9LKuPryIKuWPZdskzXmm3fX5m2nF4GlVxx/HOpx4ks51+MiU/Iaad7UcUo4tILoS4kqcWkezS0hO/HvuRp0rO6hWnWO1UisZVuFi4GFeyEpmGepa5S5SWVPuciFKRFLgSrwetnyPIB+Vb4N9mKhQMzo5po9XLdDs9d6ZVix2VEhiL9kuNPxw2gEKcDQ/rs8AuA8VAe0vdl7VOYn+27flGAUgmITjbhSmCg3BYlyeWDkMolvw4KOp1KM6iCNvngZHwetf//Z";

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** The fixture's pictures: a PNG in the vault's Attachments folder (found by name) and a JPEG beside the chapters. */
export function exportFixtureImages(): Record<string, Uint8Array> {
  return {
    "Attachments/Map of the island.png": fromBase64(PNG),
    [`${EXPORT_FIXTURE_FOLDER}/Chapters/Art/reef chart.jpg`]: fromBase64(FIXTURE_JPEG),
  };
}

/** Writes the whole fixture (notes and pictures) into a vault. */
export async function seedExportFixture(vault: { write(path: string, text: string): Promise<void>; writeBinary(path: string, data: Uint8Array): Promise<void> }): Promise<void> {
  for (const [path, text] of Object.entries(exportFixtureFiles())) await vault.write(path, text);
  for (const [path, bytes] of Object.entries(exportFixtureImages())) await vault.writeBinary(path, bytes);
}
