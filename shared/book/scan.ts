/**
 * Finds the books in a vault (or below one folder) and reads them: every note is read once, its
 * frontmatter parsed and validated, chapters ordered and counted. Reading never writes: bad notes are
 * reported as diagnostics and skipped or loaded with defaults, and the rest of the book still loads.
 */
import { baseName, isInFolder, normalizeVaultPath, parentFolder, type FileStat, type VaultFiles } from "../vault/vault-files";
import type { Diagnostic } from "./diagnostics";
import { DEFAULT_FRONTMATTER_LIMITS, parseFrontmatter, type FrontmatterBlock, type FrontmatterLimits } from "./frontmatter";
import { readLongform } from "./longform";
import {
  NOTE_KINDS, bookSchema, chapterStatus, schemaByKind,
  type BookMeta, type ChapterMeta, type ChapterStatus, type CharacterMeta, type NoteKind,
} from "./schemas";
import { validateLeniently } from "./validate";
import { WordCounter } from "./words";

export interface ScanOptions extends FrontmatterLimits {
  /** Only look below this folder ("" = the whole vault). @default "" */
  folder: string;
  /** Notes larger than this many bytes are reported and not read. @default 16 MiB */
  maxNoteBytes: number;
  /** How many notes are read at once (a batch; the next batch is read while one is counted). @default 32 */
  concurrency: number;
}

export const DEFAULT_SCAN_OPTIONS: ScanOptions = {
  ...DEFAULT_FRONTMATTER_LIMITS,
  folder: "",
  maxNoteBytes: 16 * 1024 * 1024,
  concurrency: 32,
};

export interface ChapterInfo {
  path: string;
  /** The `chapter` key (Longform: the scene's position); null when the note has none. */
  number: number | null;
  title: string;
  status: ChapterStatus;
  /** Words in the body as counted now (the `words` key may be stale). */
  words: number;
  meta: ChapterMeta | null;
  /** Longform scene nesting (0 for Bookwright chapters). */
  depth: number;
}

export interface NoteInfo<M = Record<string, unknown>> {
  path: string;
  kind: NoteKind;
  meta: M | null;
}

export interface BookInfo {
  /** The book's folder (where its index note lives). */
  folder: string;
  /** `Book.md` or the Longform index note. */
  indexPath: string;
  format: "bookwright" | "longform";
  meta: BookMeta;
  /** In reading order: by `chapter` number (Longform: scene order); unnumbered chapters last, by path. */
  chapters: ChapterInfo[];
  characters: NoteInfo<CharacterMeta>[];
  /** Every other Bookwright note of the book, by kind (story bible, outline, briefs, reports, timeline). */
  notes: NoteInfo[];
  /** Notes Bookwright must not rewrite: invalid UTF-8 or frontmatter it could not parse. */
  protectedPaths: string[];
  diagnostics: Diagnostic[];
}

export interface ScanResult {
  books: BookInfo[];
  /**
   * Bookwright notes outside every book folder: series notes, and what a series folder holds beside its
   * books (the series bible, series-wide characters). Validated like a book's notes, by path.
   */
  outside: NoteInfo[];
  /** Problems outside any book (unreadable notes, Bookwright notes with no book). */
  diagnostics: Diagnostic[];
}

interface ReadNote {
  path: string;
  text: string;
  data: Record<string, unknown> | null;
  block: FrontmatterBlock | null;
  bodyStart: number;
  diagnostics: Diagnostic[];
  protect: boolean;
  /** Words in the body, counted as the note is read. */
  words: number;
  /** Chapter notes are validated as soon as they are read, so their text can be let go. */
  chapter?: ChapterReading;
}

interface ChapterReading {
  meta: ChapterMeta | null;
  title: string;
  status: ChapterStatus;
  words: number;
  diagnostics: Diagnostic[];
}

/** Reads every book below `options.folder`. */
export async function scanBooks(vault: VaultFiles, options: Partial<ScanOptions> = {}): Promise<ScanResult> {
  const opts = { ...DEFAULT_SCAN_OPTIONS, ...options };
  const files = (await vault.list(opts.folder)).filter((f) => f.path.toLowerCase().endsWith(".md"));
  const loose: Diagnostic[] = [];
  // Word boundaries come from Unicode's rules and ICU's dictionaries, which give the same counts for
  // every language tag we tried (en, de, fi, sv, ja, zh, th), so chapters are counted before their
  // book's language is known.
  const counter = new WordCounter();
  const notes = await readNotes(vault, files, opts, loose, counter);

  const indexes = notes.filter((n) => n.data?.bookwright === "book" || readLongform(n.path, n.data ?? {}) !== null);
  const bookFolders = new Map<string, ReadNote>();
  for (const index of indexes) {
    const folder = parentFolder(index.path);
    const existing = bookFolders.get(folder);
    if (existing) {
      loose.push({ severity: "error", path: index.path, message: `a second book index in ${folder || "the vault root"}; ${existing.path} is used. Expected one note with 'bookwright: book' per folder` });
      continue;
    }
    bookFolders.set(folder, index);
  }
  // Deepest folder first, so a note belongs to the innermost book that contains it.
  const folders = [...bookFolders.keys()].sort((a, b) => b.length - a.length);
  const members = new Map<string, ReadNote[]>(folders.map((f) => [f, []]));
  // A series folder holds its books and, beside them, what they share: the series bible and characters.
  const seriesFolders = notes.filter((n) => n.data?.bookwright === "series").map((n) => parentFolder(n.path));
  const outside: NoteInfo[] = [];
  for (const note of notes) {
    const folder = folders.find((f) => isInFolder(note.path, f));
    if (folder === undefined) {
      loose.push(...note.diagnostics);
      const kind = note.data?.bookwright;
      if (kind === undefined) continue;
      const known = typeof kind === "string" && (NOTE_KINDS as readonly string[]).includes(kind);
      if (!known || kind === "book") {
        loose.push({ severity: "warning", path: note.path, field: "bookwright", message: `unknown note kind ${JSON.stringify(kind)}; expected one of ${NOTE_KINDS.join(", ")}` });
        continue;
      }
      const shared = kind === "series" || ((kind === "character" || kind === "story-bible") && seriesFolders.some((s) => isInFolder(note.path, s)));
      if (!shared) {
        const where = kind === "character" || kind === "story-bible" ? "a folder with a 'bookwright: book' or 'bookwright: series' note" : "a folder with a 'bookwright: book' note";
        loose.push({ severity: "warning", path: note.path, field: "bookwright", message: `a '${kind}' note outside any book folder; expected it inside ${where}` });
        continue;
      }
      const result = validateLeniently(schemaByKind[kind as NoteKind], note.data!, { path: note.path, text: note.text, block: note.block });
      loose.push(...result.diagnostics);
      outside.push({ path: note.path, kind: kind, meta: result.value });
      continue;
    }
    members.get(folder)!.push(note);
  }
  const books = [...bookFolders.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([folder, index]) => buildBook(folder, index, members.get(folder)!));
  return { books, outside: outside.sort((a, b) => a.path.localeCompare(b.path)), diagnostics: loose };
}

/** Reads the one book whose folder (or index note) is `folderOrIndex`. Throws when there is none. */
export async function loadBook(vault: VaultFiles, folderOrIndex: string, options: Partial<ScanOptions> = {}): Promise<BookInfo> {
  const path = normalizeVaultPath(folderOrIndex);
  const folder = path.toLowerCase().endsWith(".md") ? parentFolder(path) : path;
  const { books, diagnostics } = await scanBooks(vault, { ...options, folder });
  const book = books.find((b) => b.folder === folder);
  if (!book) {
    const found = books.map((b) => b.folder).join(", ");
    throw new Error(`${folder || "the vault root"}: no book here; expected a note with 'bookwright: book' (or a Longform index note) in this folder${found ? ` (books below it: ${found})` : ""}${diagnostics.length ? `; ${diagnostics.length} problem(s) found while looking` : ""}`);
  }
  return book;
}

async function readNotes(vault: VaultFiles, files: FileStat[], opts: ScanOptions, loose: Diagnostic[], counter: WordCounter): Promise<ReadNote[]> {
  const out: ReadNote[] = [];
  const readOne = async (file: FileStat): Promise<{ file: FileStat; bytes: Uint8Array } | null> => {
    if (file.size > opts.maxNoteBytes) {
      loose.push({ severity: "error", path: file.path, message: `note is ${megabytes(file.size)}; Bookwright reads notes up to ${megabytes(opts.maxNoteBytes)}, so it was skipped (the note is untouched)` });
      return null;
    }
    try {
      return { file, bytes: await vault.readBinary(file.path) };
    } catch (error) {
      loose.push({ severity: "error", path: file.path, message: `could not be read: ${error instanceof Error ? error.message : String(error)}` });
      return null;
    }
  };
  // Batches, double-buffered: the next batch is being read while this one is parsed and counted. Reading
  // one note and counting it in turn made each wait for the other; this keeps memory to two batches.
  const size = Math.max(1, opts.concurrency);
  const readBatch = (start: number): Promise<({ file: FileStat; bytes: Uint8Array } | null)[]> => Promise.all(files.slice(start, start + size).map(readOne));
  let pending = readBatch(0);
  for (let start = 0; start < files.length; start += size) {
    const batch = await pending;
    if (start + size < files.length) pending = readBatch(start + size);
    for (const item of batch) if (item) out.push(readNote(item.file.path, item.bytes, opts, counter));
  }
  return out;
}

/**
 * Reads one note from its bytes. Only the frontmatter is decoded to text; the body's words are counted
 * on the UTF-8 bytes themselves, until markup (`%`, `<`, `[`: comments, tags, links) shows up that
 * changes what counts as words; then the whole note is decoded and counted as Markdown.
 */
function readNote(path: string, bytes: Uint8Array, limits: FrontmatterLimits, counter: WordCounter): ReadNote {
  const head = decodeHead(bytes, limits);
  let text = head.text;
  const parsed = parseFrontmatter(path, text, limits);
  const diagnostics = [...parsed.diagnostics];
  let words: number;
  let invalidLine: number | undefined;
  const bodyByte = parsed.block ? head.byteLength : hasBom(bytes) ? 3 : 0;
  // The byte scan and findFrontmatter agree on where the block ends except for exotic white space
  // after a closing `---`; then the whole note is decoded rather than guessing the body's first byte.
  const headIsBlock = parsed.block === null || parsed.bodyStart === text.length;
  const counted = head.whole || !headIsBlock ? null : counter.countUtf8(bytes, bodyByte, { stopAtMarkup: true });
  if (counted === null || counted.markup) {
    if (!head.whole) text = decodeUtf8(bytes);
    words = counter.countMarkdown(text, parsed.bodyStart);
    const bad = text.indexOf("\uFFFD");
    if (bad !== -1) invalidLine = lineAt(text, bad);
  } else {
    words = counted.words;
    const badInHead = text.indexOf("\uFFFD");
    if (badInHead !== -1) invalidLine = lineAt(text, badInHead);
    else if (counted.invalidAt !== -1) invalidLine = lineAtByte(bytes, counted.invalidAt);
  }
  let protect = parsed.block !== null && parsed.data === null;
  if (invalidLine !== undefined) {
    protect = true;
    diagnostics.push({ severity: "warning", path, line: invalidLine, message: "contains bytes that are not valid UTF-8 (shown as �); Bookwright will not rewrite this note until it is saved as UTF-8" });
  }
  const note: ReadNote = { path, text, data: parsed.data, block: parsed.block, bodyStart: parsed.bodyStart, diagnostics, protect, words };
  if (parsed.data?.bookwright === "chapter") {
    // Validated now and the text let go: only the frontmatter's lines are needed for its diagnostics.
    note.chapter = readChapter(note);
    note.text = "";
  }
  return note;
}

const hasBom = (bytes: Uint8Array): boolean => bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;

function decodeUtf8(bytes: Uint8Array): string {
  // ignoreBOM keeps a BOM as U+FEFF, as VaultFiles.read does, so offsets agree with the note's text.
  return new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes);
}

/**
 * The note's frontmatter block (BOM and closing line included) decoded to text, and its length in
 * bytes. `whole` is true when the entire note had to be decoded: no closing line within the size cap,
 * so parseFrontmatter sees everything and reports it.
 */
function decodeHead(bytes: Uint8Array, limits: FrontmatterLimits): { text: string; byteLength: number; whole: boolean } {
  const start = hasBom(bytes) ? 3 : 0;
  const opens = bytes[start] === 0x2d && bytes[start + 1] === 0x2d && bytes[start + 2] === 0x2d;
  if (!opens) return { text: decodeUtf8(bytes.subarray(0, start)), byteLength: start, whole: bytes.length === start };
  const limit = Math.min(bytes.length, start + limits.maxFrontmatterChars * 4 + 16);
  let lineStart = bytes.indexOf(0x0a, start);
  while (lineStart !== -1 && lineStart < limit) {
    lineStart++;
    let lineEnd = bytes.indexOf(0x0a, lineStart);
    if (lineEnd === -1) lineEnd = bytes.length;
    if (bytes[lineStart] === 0x2d && bytes[lineStart + 1] === 0x2d && bytes[lineStart + 2] === 0x2d && isBlank(bytes, lineStart + 3, lineEnd)) {
      const end = Math.min(bytes.length, lineEnd + 1);
      return { text: decodeUtf8(bytes.subarray(0, end)), byteLength: end, whole: end === bytes.length };
    }
    lineStart = lineEnd === bytes.length ? -1 : lineEnd;
  }
  return { text: decodeUtf8(bytes), byteLength: bytes.length, whole: true };
}

/** Spaces, tabs and a final CR only, as findFrontmatter's `trim()` allows after a delimiter. */
function isBlank(bytes: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const b = bytes[i];
    if (b !== 0x20 && b !== 0x09 && b !== 0x0d) return false;
  }
  return true;
}

function lineAtByte(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = bytes.indexOf(0x0a); i !== -1 && i < offset; i = bytes.indexOf(0x0a, i + 1)) line++;
  return line;
}

function buildBook(folder: string, index: ReadNote, notes: ReadNote[]): BookInfo {
  const diagnostics: Diagnostic[] = [];
  const longform = readLongform(index.path, index.data ?? {});
  const folderTitle = baseName(folder) || "Untitled book";
  const indexData = { ...(index.data ?? {}) };
  if (longform && indexData.bookwright !== "book") {
    indexData.bookwright = "book";
    indexData.title ??= longform.title ?? folderTitle;
  }
  const validated = validateLeniently(bookSchema, indexData, { path: index.path, text: index.text, block: index.block, fallback: { title: folderTitle } });
  diagnostics.push(...validated.diagnostics);
  const meta: BookMeta = validated.value ?? bookSchema.parse({ bookwright: "book", title: folderTitle });

  const chapters: ChapterInfo[] = [];
  const characters: NoteInfo<CharacterMeta>[] = [];
  const other: NoteInfo[] = [];
  const protectedPaths: string[] = [];
  const byPath = new Map(notes.map((n) => [n.path, n]));

  for (const note of notes) {
    diagnostics.push(...note.diagnostics);
    if (note.protect) protectedPaths.push(note.path);
    if (note === index || note.data === null) continue;
    const kind = note.data.bookwright;
    if (kind === undefined) continue;
    if (typeof kind !== "string" || !(NOTE_KINDS as readonly string[]).includes(kind)) {
      diagnostics.push({ severity: "warning", path: note.path, field: "bookwright", message: `unknown note kind ${JSON.stringify(kind)}; expected one of ${NOTE_KINDS.join(", ")}` });
      continue;
    }
    const noteKind = kind as NoteKind;
    if (noteKind === "book") continue;
    const context = { path: note.path, text: note.text, block: note.block };
    if (noteKind === "chapter" && note.data.take_of !== undefined) {
      // An AI take saved beside a chapter the writer was editing: kept for them to compare, not a chapter.
      other.push({ path: note.path, kind: noteKind, meta: note.data });
      continue;
    }
    if (noteKind === "chapter") {
      if (longform) continue; // Longform's scene list decides what the chapters are.
      chapters.push(chapterFrom(note, note.chapter ?? readChapter(note), diagnostics, 0, null));
      continue;
    }
    const result = validateLeniently(schemaByKind[noteKind], note.data, context);
    diagnostics.push(...result.diagnostics);
    if (noteKind === "character") characters.push({ path: note.path, kind: noteKind, meta: result.value as CharacterMeta | null });
    else other.push({ path: note.path, kind: noteKind, meta: result.value });
  }

  if (longform) {
    longform.scenePaths.forEach((scenePath, i) => {
      const scene = byPath.get(scenePath);
      if (!scene) {
        diagnostics.push({ severity: "error", path: index.path, field: "longform.scenes", message: `scene '${baseName(scenePath).replace(/\.md$/i, "")}' is listed but ${scenePath} does not exist (or could not be read)` });
        return;
      }
      chapters.push(chapterFrom(scene, scene.chapter ?? readChapter(scene), diagnostics, longform.sceneDepths[i] ?? 0, i + 1));
    });
  } else {
    orderChapters(chapters, diagnostics);
  }
  return {
    folder,
    indexPath: index.path,
    format: longform ? "longform" : "bookwright",
    meta,
    chapters,
    characters: characters.sort((a, b) => a.path.localeCompare(b.path)),
    notes: other.sort((a, b) => a.path.localeCompare(b.path)),
    protectedPaths: protectedPaths.sort(),
    diagnostics,
  };
}

/** Validates a chapter note (or Longform scene) and counts its words; needs the note's text. */
function readChapter(note: ReadNote): ChapterReading {
  // Longform scenes need not carry Bookwright keys; validate them as chapters all the same.
  const result = validateLeniently(schemaByKind.chapter, { ...(note.data ?? {}), bookwright: "chapter" }, { path: note.path, text: note.text, block: note.block });
  const diagnostics = result.diagnostics;
  const meta = result.value;
  const status = chapterStatus(meta?.status);
  if (status === null) {
    diagnostics.push({ severity: "warning", path: note.path, field: "status", message: `unknown status ${JSON.stringify(meta?.status)}; expected one of not_started, brief_complete, written, verified (counted as not_started)` });
  }
  return {
    meta,
    title: meta?.title?.trim() || baseName(note.path).replace(/\.md$/i, ""),
    status: status ?? "not_started",
    words: note.words,
    diagnostics,
  };
}

function chapterFrom(note: ReadNote, reading: ChapterReading, diagnostics: Diagnostic[], depth: number, position: number | null): ChapterInfo {
  diagnostics.push(...reading.diagnostics);
  return {
    path: note.path,
    number: position ?? reading.meta?.chapter ?? null,
    title: reading.title,
    status: reading.status,
    words: reading.words,
    meta: reading.meta,
    depth,
  };
}

/** Sorts by chapter number and reports duplicates, gaps and unnumbered chapters instead of guessing. */
function orderChapters(chapters: ChapterInfo[], diagnostics: Diagnostic[]): void {
  chapters.sort((a, b) => (a.number ?? Infinity) - (b.number ?? Infinity) || a.path.localeCompare(b.path));
  const seen = new Map<number, string>();
  let previous: ChapterInfo | undefined;
  for (const chapter of chapters) {
    if (chapter.number === null) {
      diagnostics.push({ severity: "warning", path: chapter.path, field: "chapter", message: "chapter note has no 'chapter' number; expected a whole number such as 'chapter: 3' (placed after the numbered chapters)" });
      continue;
    }
    const first = seen.get(chapter.number);
    if (first !== undefined) {
      diagnostics.push({ severity: "error", path: chapter.path, field: "chapter", message: `chapter number ${chapter.number} is also used by ${first}; expected each number once` });
    } else if (previous?.number != null && chapter.number > previous.number + 1) {
      const gap = chapter.number - previous.number - 1;
      const missing = gap === 1 ? `chapter ${previous.number + 1} is` : `chapters ${previous.number + 1}–${chapter.number - 1} are`;
      diagnostics.push({ severity: "warning", path: chapter.path, field: "chapter", message: `${missing} missing (between ${previous.path} and this note)` });
    }
    seen.set(chapter.number, first ?? chapter.path);
    previous = chapter;
  }
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) line++;
  return line;
}

function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
