/**
 * A fixture trilogy for series tests: the corpus novel's chapters split into three books of one series
 * ("Netherfield"), each book numbering its chapters from 1, with summaries, the characters present, a
 * series bible, series-wide characters and book-level ones. Takes the chapters as imported (the caller
 * reads the corpus: shared/ has no file system).
 */
import { stringify } from "yaml";
import type { ImportedChapter } from "../import/import-manuscript";
import type { VaultFiles } from "../vault/vault-files";

export const TRILOGY_FOLDER = "Netherfield";
export const TRILOGY_BOOKS = ["First Impressions", "The Letter", "Pemberley"] as const;

/** Who is looked for in each chapter's text to fill its `characters` key. */
const CAST: Record<string, string[]> = {
  "Elizabeth Bennet": ["Elizabeth", "Lizzy", "Eliza"],
  "Fitzwilliam Darcy": ["Darcy"],
  "Jane Bennet": ["Jane"],
  "Charles Bingley": ["Bingley"],
  "George Wickham": ["Wickham"],
  "Lydia Bennet": ["Lydia"],
  "William Collins": ["Collins"],
  "Charlotte Lucas": ["Charlotte"],
};

const yaml = (data: Record<string, unknown>): string => `---\n${stringify(data, { lineWidth: 0 })}---\n`;

/** The first `words` words of the chapter, as its summary (what an agent would have written, roughly). */
function summaryOf(text: string, words = 40): string {
  return text.replace(/\s+/g, " ").trim().split(" ").slice(0, words).join(" ");
}

export function presentIn(text: string): string[] {
  return Object.entries(CAST).filter(([, names]) => names.some((n) => new RegExp(`\\b${n}\\b`).test(text))).map(([name]) => name);
}

/** Splits `chapters` into three nearly equal books. */
export function trilogyParts<T>(chapters: readonly T[]): T[][] {
  const size = Math.ceil(chapters.length / 3);
  return [chapters.slice(0, size), chapters.slice(size, 2 * size), chapters.slice(2 * size)];
}

export function trilogyFiles(chapters: readonly ImportedChapter[]): Record<string, string> {
  const files: Record<string, string> = {};
  const s = TRILOGY_FOLDER;
  files[`${s}/Series.md`] = yaml({
    bookwright: "series",
    title: "Netherfield",
    description: "Three books of the Bennet sisters' marriages.",
    books: TRILOGY_BOOKS.map((b) => `[[${s}/${b}/Book]]`),
  }) + "\nThe Bennet family of Longbourn, across three books.\n";
  files[`${s}/Series Bible.md`] = yaml({ bookwright: "story-bible", pov: "third person, close on Elizabeth", tense: "past" }) +
    "\n## World\n\nHertfordshire and Derbyshire, 1811–1813. An entailed estate: Longbourn passes to Mr. Collins.\n\n## Rules\n\nNo one marries without an income. Letters travel in two days.\n";
  const appearances: Record<string, { book: string; chapter: number; role: string; state: string }[]> = { "Elizabeth Bennet": [], "Fitzwilliam Darcy": [] };
  trilogyParts(chapters).forEach((part, b) => {
    const title = TRILOGY_BOOKS[b]!;
    const folder = `${s}/${title}`;
    files[`${folder}/Book.md`] = yaml({
      bookwright: "book",
      title,
      author: "Jane Austen",
      language: "en",
      status: b === 2 ? "in_progress" : "complete",
      series: "[[Series]]",
      series_order: b + 1,
      target_words: 45_000,
    });
    files[`${folder}/Story Bible.md`] = yaml({ bookwright: "story-bible" }) + `\nBook ${b + 1} of Netherfield.\n`;
    files[`${folder}/Outline.md`] = yaml({ bookwright: "outline" }) + part.map((c, i) => `${i + 1}. ${c.title}`).join("\n") + "\n";
    part.forEach((chapter, i) => {
      const n = i + 1;
      const present = presentIn(chapter.text);
      for (const name of Object.keys(appearances)) {
        if (present.includes(name)) appearances[name]!.push({ book: title, chapter: n, role: "present", state: "as written" });
      }
      files[`${folder}/Chapters/${String(n).padStart(2, "0")} ${chapter.title.replace(/[^\w ]/g, "")}.md`] = yaml({
        bookwright: "chapter",
        chapter: n,
        title: chapter.title,
        status: "written",
        continuity: "pass",
        summary: summaryOf(chapter.text),
        characters: present.filter((p) => !(p in appearances)).map((p) => `[[${p}]]`),
      }) + `\n${chapter.text}\n`;
    });
    // Book-level characters: Jane in book 1, Wickham in books 2 and 3 (the same man, noted twice).
    if (b === 0) files[`${folder}/Characters/Jane Bennet.md`] = yaml({ bookwright: "character", name: "Jane Bennet", aliases: ["Jane"], role: "supporting" }) + "\nThe eldest sister.\n";
    if (b >= 1) files[`${folder}/Characters/George Wickham.md`] = yaml({ bookwright: "character", name: "George Wickham", aliases: ["Wickham"], role: "antagonist", appearances: [{ chapter: 1, role: "mentioned", state: "charming" }] }) + "\nAn officer.\n";
  });
  files[`${s}/Characters/Elizabeth Bennet.md`] = yaml({ bookwright: "character", name: "Elizabeth Bennet", aliases: ["Elizabeth", "Lizzy", "Eliza"], role: "protagonist", appearances: appearances["Elizabeth Bennet"], changes: [{ book: TRILOGY_BOOKS[0], chapter: 3, kind: "trait", value: "quick to judge" }, { book: TRILOGY_BOOKS[0], chapter: 10, kind: "location", value: "Longbourn" }] }) + "\nThe second Bennet daughter.\n";
  files[`${s}/Characters/Fitzwilliam Darcy.md`] = yaml({ bookwright: "character", name: "Fitzwilliam Darcy", aliases: ["Darcy", "Mr. Darcy"], role: "love interest", appearances: appearances["Fitzwilliam Darcy"], changes: [{ book: TRILOGY_BOOKS[0], chapter: 5, kind: "status", value: "proud" }] }) + "\nOf Pemberley, Derbyshire.\n";
  return files;
}

export async function seedTrilogy(vault: Pick<VaultFiles, "write">, chapters: readonly ImportedChapter[]): Promise<void> {
  for (const [path, text] of Object.entries(trilogyFiles(chapters))) await vault.write(path, text);
}
