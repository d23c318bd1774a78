/**
 * Imports a manuscript file (plain text or Markdown, e.g. a Project Gutenberg book) as a book folder:
 * decode → strip Gutenberg packaging → drop illustration captions → split chapters → write `Book.md`
 * and one note per chapter. Writing never replaces a note that is already there: the vault holds the
 * writer's work, and an import is never worth losing any of it.
 */
import { stringify } from "yaml";
import { parseFrontmatter } from "../book/frontmatter";
import { safeFileNameWithSuffix, safeNotePath } from "../book/safe-name";
import { WordCounter } from "../book/words";
import { baseName, joinVaultPath, normalizeVaultPath, type VaultFiles } from "../vault/vault-files";
import { splitChapters, toSourceLines, type LineWarning, type SourceLine } from "./chapters";
import { decodeManuscript, describeEncoding, ImportError, type ManuscriptEncoding } from "./decode";
import { dropIllustrations, stripGutenbergBoilerplate } from "./gutenberg";

export { ImportError } from "./decode";

export interface ImportOptions {
  /** The file's name (a path is fine): names the book when nothing better does, and every warning. */
  fileName: string;
  title?: string;
  author?: string;
  /** BCP 47 tag; default: the Gutenberg `Language:` line, else "en". */
  language?: string;
}

export interface ImportedChapter {
  /** The number from the heading (unnumbered Markdown headings count on from the previous one). */
  number: number;
  /** The heading's title, or `Chapter N` when it has none. */
  title: string;
  /** The prose as Markdown: paragraphs separated by blank lines, no trailing newline. */
  text: string;
}

export interface ImportedManuscript {
  /** The base name of the imported file. */
  fileName: string;
  title: string;
  author: string;
  language: string;
  encoding: ManuscriptEncoding;
  byteOrderMark: boolean;
  chapters: ImportedChapter[];
  /** Each names the file and line: `book.txt:120: chapter 5 follows chapter 3: chapter 4 is missing`. */
  warnings: string[];
}

/**
 * Reads a manuscript into chapters. Plain text is unwrapped (hard-wrapped lines of a paragraph become
 * one line, as Markdown wants them); Markdown is kept as written. Throws {@link ImportError} for input
 * that cannot be imported (empty, binary, a bad language tag).
 */
export function importManuscript(bytes: Uint8Array, options: ImportOptions): ImportedManuscript {
  const fileName = baseName(options.fileName.replace(/\\/g, "/"));
  if (bytes.length === 0) throw new ImportError(`${fileName}: the file is empty`);
  const decodedText = decodeNamed(bytes, fileName);
  const language = canonicalLanguage(options.language, fileName);
  const markdown = /\.(?:md|markdown)$/i.test(fileName);
  const lineWarnings: LineWarning[] = [];

  let lines = toSourceLines(decodedText.text);
  const markdownMeta = markdown ? takeFrontmatter(fileName, lines) : null;
  if (markdownMeta) lines = markdownMeta.rest;
  const gutenberg = stripGutenbergBoilerplate(lines);
  const illustrations = dropIllustrations(gutenberg.lines);
  lineWarnings.push(...illustrations.warnings);
  const split = splitChapters(illustrations.lines, { markdown });
  lineWarnings.push(...split.warnings);

  const chapters: ImportedChapter[] = split.chapters.map((chapter) => ({
    number: chapter.number,
    title: chapter.title || `Chapter ${chapter.number}`,
    text: markdown ? tidyMarkdown(chapter.lines) : unwrapParagraphs(chapter.lines),
  }));
  if (chapters.length === 0) {
    // No headings at all: the whole text is one chapter rather than nothing.
    const text = markdown ? tidyMarkdown(split.frontMatter) : unwrapParagraphs(split.frontMatter);
    if (text !== "") {
      chapters.push({ number: 1, title: "Chapter 1", text });
      lineWarnings.push({ line: split.frontMatter[0]?.line ?? 1, message: "no chapter headings found; the whole text became chapter 1" });
    }
  } else {
    const skipped = split.frontMatter.filter((line) => line.text.trim() !== "");
    if (skipped.length > 0) {
      lineWarnings.push({
        line: skipped[0]!.line,
        message: `${skipped.length === 1 ? "1 line" : `${skipped.length} lines`} before the first chapter heading (line ${split.chapters[0]!.headingLine}) left out: preface, contents or title page`,
      });
    }
  }
  if (chapters.length === 0) throw new ImportError(`${fileName}: no text to import`);

  return {
    fileName,
    title: nonEmpty(options.title) ?? markdownMeta?.title ?? gutenberg.metadata.title ?? titleFromFileName(fileName),
    author: nonEmpty(options.author) ?? markdownMeta?.author ?? gutenberg.metadata.author ?? "",
    language: language ?? gutenberg.metadata.language ?? "en",
    encoding: decodedText.encoding,
    byteOrderMark: decodedText.byteOrderMark,
    chapters,
    warnings: lineWarnings.sort((a, b) => a.line - b.line).map((w) => `${fileName}:${w.line}: ${w.message}`),
  };
}

function decodeNamed(bytes: Uint8Array, fileName: string): ReturnType<typeof decodeManuscript> {
  try {
    return decodeManuscript(bytes);
  } catch (error) {
    throw error instanceof ImportError ? new ImportError(`${fileName}: ${error.message}`) : error;
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function canonicalLanguage(language: string | undefined, fileName: string): string | undefined {
  const tag = nonEmpty(language);
  if (tag === undefined) return undefined;
  try {
    const [canonical] = Intl.getCanonicalLocales(tag);
    if (canonical) return canonical;
  } catch {
    // Reported below: RangeError is how Intl says "not a language tag".
  }
  throw new ImportError(`${fileName}: "${tag}" is not a BCP 47 language tag (expected e.g. en, en-GB, fr)`);
}

/**
 * A Markdown file's own frontmatter: not prose, and its `title`/`author` name the book. Parsed by the
 * guarded frontmatter parser (size and nesting caps, no aliases); a block that does not parse is still
 * left out of the chapters.
 */
function takeFrontmatter(
  fileName: string,
  lines: SourceLine[],
): { rest: SourceLine[]; title?: string; author?: string } | null {
  if (lines[0]?.text.trim() !== "---") return null;
  const close = lines.findIndex((line, i) => i > 0 && line.text.trim() === "---");
  if (close === -1) return null;
  const result: { rest: SourceLine[]; title?: string; author?: string } = { rest: lines.slice(close + 1) };
  const block = `${lines.slice(0, close + 1).map((line) => line.text).join("\n")}\n`;
  const data = parseFrontmatter(fileName, block).data ?? {};
  if (typeof data.title === "string" && data.title.trim()) result.title = data.title.trim();
  if (typeof data.author === "string" && data.author.trim()) result.author = data.author.trim();
  return result;
}

/** Splits lines into paragraphs at blank lines, each paragraph's lines trimmed. */
function paragraphs(lines: SourceLine[]): string[][] {
  const out: string[][] = [];
  let current: string[] = [];
  for (const { text } of lines) {
    const trimmed = text.trim();
    if (trimmed === "") {
      if (current.length > 0) out.push(current);
      current = [];
    } else {
      current.push(trimmed);
    }
  }
  if (current.length > 0) out.push(current);
  return out;
}

/**
 * Plain text → Markdown paragraphs: each paragraph on one line, blank lines between. Lines are
 * trimmed, since indented lines would otherwise become Markdown code blocks; `_italic_` stays as is.
 */
export function unwrapParagraphs(lines: SourceLine[]): string {
  return paragraphs(lines)
    .map((paragraph) => paragraph.join(" "))
    .join("\n\n");
}

/** Markdown stays as written (lists, quotes, line breaks); only blank-line runs and the ends are tidied. */
function tidyMarkdown(lines: SourceLine[]): string {
  const out: string[] = [];
  for (const { text } of lines) {
    const blank = text.trim() === "";
    if (blank && (out.length === 0 || out[out.length - 1] === "")) continue;
    out.push(blank ? "" : text.trimEnd());
  }
  while (out.length > 0 && out[out.length - 1] === "") out.pop();
  return out.join("\n");
}

const SMALL_WORDS = new Set(["a", "an", "and", "as", "at", "but", "by", "for", "in", "nor", "of", "on", "or", "the", "to", "with"]);

/**
 * A title from a file name, when the file names none: `pride-and-prejudice.gutenberg-1342.txt` →
 * `Pride and Prejudice`. Separators become spaces and a Project Gutenberg suffix (`.gutenberg-1342`,
 * `-pg1342`, `-0`) goes, because the title lands on the title page and every running head. A name that
 * already has capitals or spaces is kept as the writer typed it.
 */
export function titleFromFileName(fileName: string): string {
  const stem = fileName.replace(/\.[^.]*$/, "");
  const cleaned = stem.replace(/[._-]?(?:gutenberg|pg)[._-]?\d+$/i, "").replace(/-0$/, "");
  if (cleaned === "") return stem || fileName;
  if (/\s/.test(cleaned) || /[A-Z]/.test(cleaned)) return cleaned.trim();
  const words = cleaned.split(/[-_.]+/).filter(Boolean);
  return words.map((w, i) => (i > 0 && i < words.length - 1 && SMALL_WORDS.has(w) ? w : w.charAt(0).toUpperCase() + w.slice(1))).join(" ");
}

export interface WriteBookOptions {
  /** The subfolder for chapter notes. @default "Chapters" */
  chaptersFolder?: string;
}

export interface WrittenBook {
  bookPath: string;
  chapterPaths: string[];
}

/** Frontmatter as YAML 1.1 so that Obsidian and other 1.1 readers see `"no"` as text, not `false`. */
const YAML_OPTIONS = { version: "1.1", lineWidth: 0 } as const;

/**
 * Writes `<folder>/Book.md` and `<folder>/Chapters/NN Title.md` for an imported manuscript. Refuses,
 * before writing anything, when `Book.md` or any chapter note already exists, naming the path.
 * Chapters are written first and `Book.md` last, so an import cut short leaves no half-book that
 * Bookwright would pick up as complete.
 */
export async function writeBookFolder(
  vault: VaultFiles,
  folder: string,
  imported: ImportedManuscript,
  options: WriteBookOptions = {},
): Promise<WrittenBook> {
  const base = normalizeVaultPath(folder);
  const folderStat = base === "" ? null : await vault.stat(base);
  if (folderStat) throw new ImportError(`${base} is a file, not a folder; choose a folder to import into`);
  const bookPath = joinVaultPath(base, "Book.md");
  await refuseExisting(vault, bookPath, "this folder already holds a book");
  const chaptersFolder = joinVaultPath(base, options.chaptersFolder ?? "Chapters");
  const planned = planChapterPaths(chaptersFolder, imported.chapters);
  for (const path of planned) await refuseExisting(vault, path, "a note is already there");

  const counter = new WordCounter(imported.language);
  for (const [i, chapter] of imported.chapters.entries()) {
    const path = planned[i]!;
    // Checked again right before writing: the writer may have created the note in the meantime.
    await refuseExisting(vault, path, "a note is already there");
    const frontmatter = stringify(
      { bookwright: "chapter", chapter: chapter.number, title: chapter.title, status: "written", words: counter.countMarkdown(chapter.text) },
      YAML_OPTIONS,
    );
    await vault.write(path, `---\n${frontmatter}---\n\n${chapter.text}\n`);
  }
  await refuseExisting(vault, bookPath, "this folder already holds a book");
  const bookFrontmatter = stringify(
    {
      bookwright: "book",
      title: imported.title,
      author: imported.author,
      language: imported.language,
      status: "draft",
      planned_chapters: imported.chapters.length,
    },
    YAML_OPTIONS,
  );
  const source = `${imported.fileName} (${describeEncoding(imported.encoding, imported.byteOrderMark)})`;
  const count = imported.chapters.length;
  const summary = `${count} chapter${count === 1 ? "" : "s"}`;
  await vault.write(bookPath, `---\n${bookFrontmatter}---\n\nImported by Bookwright from ${source}: ${summary}.\n`);
  return { bookPath, chapterPaths: planned };
}

async function refuseExisting(vault: VaultFiles, path: string, reason: string): Promise<void> {
  if (await vault.exists(path)) {
    throw new ImportError(`${path} already exists (${reason}); nothing was overwritten. Import into a new folder.`);
  }
}

/**
 * `NN Title.md` per chapter, NN padded to 2 digits (3 from chapter 100 on, so names sort). Repeated
 * numbers with the same title would share a name; the later ones get ` (2)`, ` (3)`… instead of
 * overwriting their twin. Names are compared case-folded, as macOS and Windows disks compare them.
 */
function planChapterPaths(chaptersFolder: string, chapters: ImportedChapter[]): string[] {
  const largest = Math.max(chapters.length, ...chapters.map((c) => c.number));
  const width = Math.max(2, String(largest).length);
  const taken = new Set<string>();
  return chapters.map((chapter) => {
    const stem = `${String(chapter.number).padStart(width, "0")} ${chapter.title}`;
    let path = safeNotePath(chaptersFolder, stem);
    for (let n = 2; taken.has(path.toLowerCase()); n++) {
      path = safeNotePath(chaptersFolder, safeFileNameWithSuffix(stem, ` (${n})`));
    }
    taken.add(path.toLowerCase());
    return path;
  });
}
