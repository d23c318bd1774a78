import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { MemoryVault } from "../testing/memory-vault";
import { formatDiagnostic } from "./diagnostics";
import { loadBook, scanBooks } from "./scan";
import { bookStats } from "./stats";

/** Builds chapter notes the way a writer's vault has them: frontmatter, then prose. */
function chapter(n: number | string, title: string, body: string, extra = ""): string {
  return `---\nbookwright: chapter\nchapter: ${n}\ntitle: ${title}\nstatus: written\n${extra}---\n${body}\n`;
}

function lighthouse(): Record<string, string | Uint8Array> {
  return {
    "Lighthouse/Book.md": "---\nbookwright: book\ntitle: The Lighthouse Keeper\nauthor: Ada Marsh\ntarget_words: 100\n---\nBlurb words do not count.",
    // File names deliberately disagree with the chapter order: identity comes from frontmatter.
    "Lighthouse/Chapters/a.md": chapter(2, "Boat", "Jon brought the boat. %% note to self %%"),
    "Lighthouse/Chapters/z.md": chapter(1, "Storm", "The wind came round to the north."),
    "Lighthouse/Drafts/third.md": "---\nbookwright: chapter\nchapter: 3\ntitle: Logbook\nstatus: not_started\n---\n",
    "Lighthouse/Characters/Mara.md": "---\nbookwright: character\nname: Mara Quill\naliases: Mara\n---\nShe keeps the light.",
    "Lighthouse/Story Bible.md": "---\nbookwright: story-bible\npov: close third\n---\n",
    "Lighthouse/Research/tides.md": "Just notes, no frontmatter.",
  };
}

async function snapshot(vault: MemoryVault): Promise<string> {
  const files = await vault.list();
  const contents = await Promise.all(files.map(async (f) => `${f.path} ${f.mtime} ${createHash("sha256").update(await vault.readBinary(f.path)).digest("hex")}`));
  return contents.join("\n");
}

describe("scanBooks", () => {
  it("finds a book by frontmatter and orders chapters by number, not file name", async () => {
    const vault = new MemoryVault();
    vault.seed(lighthouse());
    const { books, diagnostics } = await scanBooks(vault);
    expect(diagnostics).toEqual([]);
    expect(books).toHaveLength(1);
    const book = books[0]!;
    expect(book).toMatchObject({ folder: "Lighthouse", indexPath: "Lighthouse/Book.md", format: "bookwright" });
    expect(book.meta).toMatchObject({ title: "The Lighthouse Keeper", language: "en", status: "draft" });
    expect(book.chapters.map((c) => [c.number, c.title, c.words])).toEqual([[1, "Storm", 7], [2, "Boat", 4], [3, "Logbook", 0]]);
    expect(book.characters.map((c) => c.meta?.aliases)).toEqual([["Mara"]]);
    expect(book.notes.map((n) => n.kind)).toEqual(["story-bible"]);
    expect(book.diagnostics).toEqual([]);
  });

  it("computes stats: words, progress against target, chapters by status", async () => {
    const vault = new MemoryVault();
    vault.seed(lighthouse());
    const stats = bookStats(await loadBook(vault, "Lighthouse"));
    expect(stats).toMatchObject({ chapters: 3, words: 11, targetWords: 100, progress: 0.11 });
    expect(stats.byStatus).toEqual({ not_started: 1, brief_complete: 0, written: 2, verified: 0 });
  });

  it("reports duplicate, missing and absent chapter numbers instead of guessing", async () => {
    const vault = new MemoryVault();
    vault.seed({
      "B/Book.md": "---\nbookwright: book\ntitle: B\n---\n",
      "B/one.md": chapter(1, "One", "a"),
      "B/one-again.md": chapter(1, "Again", "b"),
      "B/four.md": chapter(4, "Four", "c"),
      "B/loose.md": "---\nbookwright: chapter\ntitle: Loose\n---\nd",
    });
    const book = await loadBook(vault, "B");
    expect(book.chapters.map((c) => c.path)).toEqual(["B/one-again.md", "B/one.md", "B/four.md", "B/loose.md"]);
    const messages = book.diagnostics.map(formatDiagnostic);
    expect(messages).toEqual([
      "error: B/one.md (chapter): chapter number 1 is also used by B/one-again.md; expected each number once",
      "warning: B/four.md (chapter): chapters 2–3 are missing (between B/one.md and this note)",
      "warning: B/loose.md (chapter): chapter note has no 'chapter' number; expected a whole number such as 'chapter: 3' (placed after the numbered chapters)",
    ]);
  });

  it("loads the rest of the book around every kind of bad note, naming file, line and key", async () => {
    const vault = new MemoryVault();
    const invalidUtf8 = new Uint8Array([...new TextEncoder().encode("---\nbookwright: chapter\nchapter: 7\n---\nCaf"), 0xe9, 0x20, 0x6f, 0x6b]);
    vault.seed({
      "B/Book.md": "---\nbookwright: book\ntitle: B\nlanguage: en\n---\n",
      "B/good.md": chapter(1, "Good", "Fine words here."),
      "B/crlf.md": `\uFEFF${chapter(2, "Windows", "Line one.\nLine two.").replace(/\n/g, "\r\n")}`,
      "B/typo.md": "---\nbookwright: chapter\nchapter: one\ntitle: Typo\n---\nStill counted.",
      "B/broken.md": "---\nbookwright: chapter\nchapter: [3,\n---\nBroken yaml.",
      "B/bomb.md": `---\nbookwright: chapter\na: &a ["x","x"]\nb: &b [*a,*a]\n---\n`,
      "B/deep.md": `---\nbookwright: chapter\nx: ${"[".repeat(20_000)}${"]".repeat(20_000)}\n---\n`,
      "B/huge.md": `---\nbookwright: chapter\nchapter: 9\n---\n${"word ".repeat(10_500_000)}`,
      "B/latin1.md": invalidUtf8,
      "B/odd.md": "---\nbookwright: chapterr\n---\n",
    });
    const before = await snapshot(vault);
    const book = await loadBook(vault, "B");
    const { diagnostics } = await scanBooks(vault, { folder: "B" });

    expect(book.chapters.map((c) => c.title)).toEqual(["Good", "Windows", "latin1", "Typo"]);
    expect(book.chapters.find((c) => c.title === "Windows")?.words).toBe(4);
    const byPath = (path: string): string[] => [...book.diagnostics, ...diagnostics].filter((d) => d.path === path).map(formatDiagnostic);
    expect(byPath("B/typo.md")).toEqual([
      'error: B/typo.md:3 (chapter): expected a number (got "one")',
      expect.stringContaining("warning: B/typo.md (chapter): chapter note has no 'chapter' number"),
    ]);
    expect(byPath("B/broken.md")).toEqual([expect.stringMatching(/^error: B\/broken\.md:\d+: invalid YAML/)]);
    expect(byPath("B/bomb.md")).toEqual(["error: B/bomb.md:2: YAML aliases (*name) are not allowed in frontmatter; write the value out"]);
    expect(byPath("B/deep.md")).toEqual([expect.stringContaining("nests lists or maps more than 64 levels")]);
    expect(byPath("B/huge.md")).toEqual([expect.stringMatching(/note is 50\.\d MB; Bookwright reads notes up to 16\.0 MB, so it was skipped/)]);
    expect(byPath("B/latin1.md")).toEqual([
      expect.stringContaining("B/latin1.md:5: contains bytes that are not valid UTF-8"),
      "warning: B/latin1.md (chapter): chapters 3–6 are missing (between B/crlf.md and this note)",
    ]);
    expect(byPath("B/odd.md")).toEqual([expect.stringContaining('unknown note kind "chapterr"')]);
    expect(book.protectedPaths).toEqual(["B/bomb.md", "B/broken.md", "B/deep.md", "B/latin1.md"]);
    // Reading never writes: every byte and mtime is as it was.
    expect(await snapshot(vault)).toBe(before);
  });

  it("gives each note to the innermost book folder", async () => {
    const vault = new MemoryVault();
    vault.seed({
      "Saga/Series.md": "---\nbookwright: series\ntitle: Saga\n---\n",
      "Saga/One/Book.md": "---\nbookwright: book\ntitle: One\n---\n",
      "Saga/One/c1.md": chapter(1, "A", "x"),
      "Saga/Two/Book.md": "---\nbookwright: book\ntitle: Two\n---\n",
      "Saga/Two/c1.md": chapter(1, "B", "y z"),
      "Saga/Characters/Mara.md": "---\nbookwright: character\nname: Mara\n---\n",
      "Saga/Series Bible.md": "---\nbookwright: story-bible\n---\nThe sea remembers.\n",
      "Saga/loose chapter.md": chapter(2, "D", "v"),
      "Stray/c.md": chapter(1, "C", "w"),
      "Stray/Who.md": "---\nbookwright: character\nname: Who\n---\n",
    });
    const { books, outside, diagnostics } = await scanBooks(vault);
    expect(books.map((b) => [b.meta.title, b.chapters.map((c) => c.title)])).toEqual([["One", ["A"]], ["Two", ["B"]]]);
    // The series folder's shared notes belong to no book and are not complained about.
    expect(outside.map((n) => [n.path, n.kind])).toEqual([
      ["Saga/Characters/Mara.md", "character"],
      ["Saga/Series Bible.md", "story-bible"],
      ["Saga/Series.md", "series"],
    ]);
    expect(diagnostics.map(formatDiagnostic)).toEqual([
      "warning: Saga/loose chapter.md (bookwright): a 'chapter' note outside any book folder; expected it inside a folder with a 'bookwright: book' note",
      "warning: Stray/Who.md (bookwright): a 'character' note outside any book folder; expected it inside a folder with a 'bookwright: book' or 'bookwright: series' note",
      "warning: Stray/c.md (bookwright): a 'chapter' note outside any book folder; expected it inside a folder with a 'bookwright: book' note",
    ]);
  });

  it("keeps AI takes and revisions out of the chapters, without complaint", async () => {
    const vault = new MemoryVault();
    vault.seed({
      "B/Book.md": "---\nbookwright: book\ntitle: B\n---\n",
      "B/Chapters/01 Storm.md": chapter(1, "Storm", "The writer's own words."),
      "B/Chapters/01 Storm (AI take).md": `${chapter(1, "Storm", "The model's words.").replace("status: written\n", 'status: written\ntake_of: "[[01 Storm]]"\n')}`,
      "B/Revisions/01 Storm/2026-11-25 before-ai-write.md": '---\nbookwright: revision\nnote: "[[01 Storm]]"\nreason: before-ai-write\n---\nOlder words.',
    });
    const book = await loadBook(vault, "B");
    expect(book.chapters.map((c) => c.path)).toEqual(["B/Chapters/01 Storm.md"]);
    expect(book.notes.map((n) => [n.kind, n.path])).toEqual([
      ["chapter", "B/Chapters/01 Storm (AI take).md"],
      ["revision", "B/Revisions/01 Storm/2026-11-25 before-ai-write.md"],
    ]);
    expect(book.diagnostics).toEqual([]);
  });

  it("reports a second index note in one folder and keeps the first", async () => {
    const vault = new MemoryVault();
    vault.seed({ "B/Book.md": "---\nbookwright: book\ntitle: First\n---\n", "B/Copy.md": "---\nbookwright: book\ntitle: Second\n---\n" });
    const { books, diagnostics } = await scanBooks(vault);
    expect(books.map((b) => b.meta.title)).toEqual(["First"]);
    expect(diagnostics[0]).toMatchObject({ severity: "error", path: "B/Copy.md" });
  });

  it("falls back to the folder name when Book.md lacks a title", async () => {
    const vault = new MemoryVault();
    vault.seed({ "Nameless/Book.md": "---\nbookwright: book\ntarget_words: lots\n---\n" });
    const book = await loadBook(vault, "Nameless");
    expect(book.meta.title).toBe("Nameless");
    expect(book.diagnostics.map((d) => d.field)).toEqual(["title", "target_words"]);
  });

  it("says clearly when a folder holds no book", async () => {
    const vault = new MemoryVault();
    vault.seed({ "Notes/a.md": "hello" });
    await expect(loadBook(vault, "Notes")).rejects.toThrow(/Notes: no book here; expected a note with 'bookwright: book'/);
  });
});

describe("Longform projects", () => {
  const index = [
    "---",
    "longform:",
    "  format: scenes",
    "  title: The Tide",
    "  sceneFolder: Scenes",
    "  scenes:",
    "    - Opening",
    "    - - Flashback",
    "    - Ending",
    "    - Lost scene",
    "target_words: 5000",
    "---",
    "",
  ].join("\n");

  it("reads the scenes as chapters in Longform's order, with their nesting", async () => {
    const vault = new MemoryVault();
    vault.seed({
      "Tide/Index.md": index,
      "Tide/Scenes/Opening.md": "The sea rose.",
      "Tide/Scenes/Flashback.md": "---\nstatus: Draft\n---\nYears before.",
      "Tide/Scenes/Ending.md": "It fell.",
    });
    const book = await loadBook(vault, "Tide");
    expect(book).toMatchObject({ format: "longform", indexPath: "Tide/Index.md" });
    expect(book.meta).toMatchObject({ title: "The Tide", target_words: 5000 });
    expect(book.chapters.map((c) => [c.number, c.title, c.depth, c.status, c.words])).toEqual([
      [1, "Opening", 0, "not_started", 3],
      [2, "Flashback", 1, "written", 2],
      [3, "Ending", 0, "not_started", 2],
    ]);
    expect(book.diagnostics.map(formatDiagnostic)).toEqual([
      "error: Tide/Index.md (longform.scenes): scene 'Lost scene' is listed but Tide/Scenes/Lost scene.md does not exist (or could not be read)",
    ]);
  });
});
