/**
 * The book as an exporter sees it: title, author, language and, per chapter, a list of blocks of styled
 * text. Every export format (plain text and Markdown now; DOCX, PDF and EPUB later) renders this one
 * model, so what counts as a scene break or an italic is decided once, here.
 *
 * Chapter bodies are parsed by mdast-util-from-markdown (CommonMark, no Node built-ins, so it bundles
 * for Obsidian mobile). Obsidian's own syntax (comments, wiki links, embeds) is not CommonMark, so it is
 * resolved in the source text before parsing.
 */
import { readChapterRange } from "../book/chapter-range";
import { fromMarkdown } from "mdast-util-from-markdown";
import { gfmFootnoteFromMarkdown } from "mdast-util-gfm-footnote";
import { gfmFootnote } from "micromark-extension-gfm-footnote";
import type { BlockContent, DefinitionContent, FootnoteDefinition, PhrasingContent, RootContent } from "mdast";
import { findFrontmatter } from "../book/frontmatter";
import { loadBook, type BookInfo, type ChapterInfo } from "../book/scan";
import { WordCounter } from "../book/words";
import { imageInfo, type ImageInfo } from "./image-info";
import { normalizeVaultPath, type VaultFiles } from "../vault/vault-files";

export interface Run {
  text: string;
  italic?: boolean;
  bold?: boolean;
  /**
   * Set on a footnote reference: the note's number in its chapter (its text is that number). The note
   * itself is `chapter.notes[note - 1]`.
   */
  note?: number;
}

export type Block =
  | { type: "paragraph"; runs: Run[] }
  /** A heading inside a chapter; `depth` is the Markdown level (1–6) the writer used. */
  | { type: "heading"; depth: number; runs: Run[] }
  | { type: "sceneBreak" }
  | { type: "blockquote"; blocks: Block[] }
  /** Each item is its own list of blocks (a paragraph, or more, or a nested list). */
  | { type: "list"; ordered: boolean; start: number; items: Block[][] }
  | { type: "code"; text: string }
  /**
   * A picture the writer embedded (`![[Map.png]]`, `![alt](Map.png)`), on a line of its own. `src` is as
   * written until buildBookModel finds it in the vault; then `image` holds its bytes, type and pixel size.
   */
  | { type: "image"; src: string; alt: string; image?: ModelImage };

export interface ModelImage extends ImageInfo {
  /** The image's vault path. */
  path: string;
  bytes: Uint8Array;
}

export interface ModelChapter {
  /** The chapter's `chapter` number; null for an unnumbered chapter (only exported with "all"). */
  number: number | null;
  title: string;
  blocks: Block[];
  /** Footnotes in the order they are first referred to; note n is `notes[n - 1]`. */
  notes: Block[][];
}

export interface BookModel {
  title: string;
  author?: string;
  language: string;
  chapters: ModelChapter[];
  /**
   * The books of a series omnibus, in order, each a part with its own title page and its own level in the
   * contents; every chapter belongs to the part whose range holds it. A single book has none, and every
   * packer then writes exactly what it wrote before parts existed.
   */
  parts?: ModelPart[];
  /** What the model had to leave out, for the writer (an image that is missing or of a kind exports cannot carry). */
  warnings?: string[];
}

/** One book of an omnibus: its chapters are `model.chapters[start]` up to the next part's `start`. */
export interface ModelPart {
  /** The book's title, on its part title page, in the contents and in the running heads. */
  title: string;
  /** What stands above the title on the part's title page: "Book 2". */
  label: string;
  /** The book's author, only when the books' authors differ (the omnibus then has no author of its own). */
  author?: string;
  /** Index into `model.chapters` of the part's first chapter. */
  start: number;
}

/** Each part with the index range of its chapters (`end` exclusive); empty for a model without parts. */
export function partRanges(model: BookModel): { part: ModelPart; index: number; start: number; end: number }[] {
  const parts = model.parts ?? [];
  return parts.map((part, index) => ({ part, index, start: part.start, end: parts[index + 1]?.start ?? model.chapters.length }));
}

/** The index of the part chapter `chapter` belongs to, or null in a model without parts. */
export function partOfChapter(model: BookModel, chapter: number): number | null {
  const parts = model.parts;
  if (!parts || parts.length === 0) return null;
  let found = 0;
  for (const [i, part] of parts.entries()) if (part.start <= chapter) found = i;
  return found;
}

/**
 * Where a chapter is, for messages: `chapter 3 "Storm"`, and in an omnibus the book first
 * (`The Letter, chapter 3 "Storm"`), since every book numbers its chapters from 1.
 */
export function chapterPlace(model: BookModel, index: number): string {
  const chapter = model.chapters[index]!;
  const part = partOfChapter(model, index);
  const book = part === null ? null : model.parts![part]!;
  const where = `chapter ${chapter.number ?? index - (book?.start ?? 0) + 1} "${chapter.title}"`;
  return book === null ? where : `${book.title}, ${where}`;
}

export interface BookModelOptions {
  /** Chapter numbers to export, in any order (they come out in reading order), or every chapter. @default "all" */
  chapters?: number[] | "all";
  /** Curly quotes and apostrophes, en/em dashes and ellipses. @default true */
  smartTypography?: boolean;
  /** Told after each chapter is parsed (a long book takes a while; the companion reports it). */
  onChapter?: (done: number, total: number) => void;
}

/** Reads the book in `bookFolder` and parses the selected chapters. Throws naming any unknown chapter number. */
export async function buildBookModel(vault: VaultFiles, bookFolder: string, options: BookModelOptions & { book?: BookInfo } = {}): Promise<BookModel> {
  const book = options.book ?? (await loadBook(vault, bookFolder));
  const chapters = selectChapters(book.chapters, options.chapters ?? "all", book.meta.title);
  const smart = options.smartTypography ?? true;
  const out: ModelChapter[] = [];
  const images = new ImageFinder(vault);
  for (const chapter of chapters) {
    const text = await vault.read(chapter.path);
    const body = text.slice(findFrontmatter(text)?.bodyStart ?? 0).replace(/^\ufeff/, "");
    const parsed = parseChapterWithNotes(body, { smartTypography: smart });
    out.push({ number: chapter.number, title: chapter.title, blocks: dropTitleHeading(parsed.blocks, chapter.title), notes: parsed.notes });
    await resolveImages(chapter.path, out.at(-1)!, images);
    options.onChapter?.(out.length, chapters.length);
  }
  const author = book.meta.author?.trim();
  return { title: book.meta.title, ...(author ? { author } : {}), language: book.meta.language, chapters: out, ...(images.warnings.length > 0 ? { warnings: images.warnings } : {}) };
}

function selectChapters(chapters: ChapterInfo[], wanted: number[] | "all", title: string): ChapterInfo[] {
  if (wanted === "all") return chapters;
  const have = new Set(chapters.map((c) => c.number));
  const missing = [...new Set(wanted)].filter((n) => !have.has(n)).sort((a, b) => a - b);
  if (missing.length > 0) {
    const numbers = chapters.flatMap((c) => (c.number === null ? [] : [c.number]));
    const range = numbers.length === 0 ? "it has no numbered chapters" : `it has ${describeNumbers(numbers)}`;
    throw new Error(`${title} has no chapter ${missing.join(", ")}; ${range}`);
  }
  const set = new Set(wanted);
  return chapters.filter((c) => c.number !== null && set.has(c.number));
}

/** `chapters 1–5, 7` from the numbers a book has. */
function describeNumbers(numbers: number[]): string {
  const sorted = [...new Set(numbers)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; i++) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(j === i ? String(sorted[i]) : `${sorted[i]}–${sorted[j]}`);
    i = j;
  }
  return `chapter${sorted.length === 1 ? "" : "s"} ${parts.join(", ")}`;
}

/**
 * Reads a chapter selection as typed: "all" (or blank), or numbers and ranges such as `1-5`, `3`,
 * `1-3, 7, 9-10`. Returns the message to show when the text is none of those.
 */
export function parseChapterSelection(text: string): { chapters: number[] | "all" } | { error: string } {
  const trimmed = text.trim();
  if (trimmed === "" || trimmed.toLowerCase() === "all") return { chapters: "all" };
  // A typo such as 1-100000 would otherwise build a huge list before the book is even read.
  const read = readChapterRange(trimmed, 10_000);
  if ("chapters" in read) return read;
  const p = read.problem;
  switch (p.reason) {
    case "empty":
    case "not-a-range":
    case "below-one":
      return { error: `"${p.reason === "empty" ? trimmed : p.part}" is not a chapter number or range; use "all" or numbers such as 1-5, 8.` };
    case "backwards":
      return { error: `${p.from}-${p.to} runs backwards; write the lower number first.` };
    case "too-many":
      return { error: `${p.part} is more chapters than any book has.` };
  }
}

/** Words in the chapters' text (chapter titles left out), as the book's word count counts them. */
export function modelWordCount(model: BookModel): number {
  const counter = new WordCounter(model.language);
  let words = 0;
  const count = (blocks: Block[]): void => {
    for (const block of blocks) {
      if (block.type === "paragraph" || block.type === "heading") words += counter.countText(block.runs.map((r) => (r.note === undefined ? r.text : " ")).join(""));
      else if (block.type === "blockquote") count(block.blocks);
      else if (block.type === "list") for (const item of block.items) count(item);
      else if (block.type === "code") words += counter.countText(block.text);
    }
  };
  for (const chapter of model.chapters) {
    count(chapter.blocks);
    for (const note of chapter.notes) count(note);
  }
  return words;
}

/**
 * Finds the files images point at, the way Obsidian resolves an embed: a path from the vault's root or the
 * chapter's folder, else any file of that name (the shortest path when there are several). Each file is
 * read once per export, however many chapters show it.
 */
class ImageFinder {
  readonly warnings: string[] = [];
  private files: string[] | null = null;
  private readonly loaded = new Map<string, ModelImage | null>();

  constructor(private readonly vault: VaultFiles) {}

  async find(chapterPath: string, src: string): Promise<ModelImage | null> {
    const where = `${chapterPath}: image ${src}`;
    if (/^[a-z][a-z0-9+.-]*:/i.test(src)) {
      this.warnings.push(`${where} is on the web; exports do not fetch pictures, so it is left out (save it in the vault and embed that)`);
      return null;
    }
    let decoded = src;
    try {
      decoded = decodeURIComponent(src);
    } catch {
      // A literal % in a file name: use it as written.
    }
    const path = await this.locate(chapterPath, decoded);
    if (path === null) {
      this.warnings.push(`${where} was not found in the vault, so it is left out`);
      return null;
    }
    if (!this.loaded.has(path)) {
      const bytes = await this.vault.readBinary(path);
      const info = imageInfo(bytes);
      if (!info) this.warnings.push(`${where} (${path}) is not a JPEG, PNG or GIF, which is what every export format can carry, so it is left out`);
      this.loaded.set(path, info ? { ...info, path, bytes } : null);
    }
    return this.loaded.get(path)!;
  }

  private async locate(chapterPath: string, target: string): Promise<string | null> {
    const folder = chapterPath.includes("/") ? chapterPath.slice(0, chapterPath.lastIndexOf("/")) : "";
    for (const candidate of [insideVault("", target), insideVault(folder, target)]) if (candidate && (await this.vault.stat(candidate))) return candidate;
    this.files ??= (await this.vault.list()).map((f) => f.path);
    const name = target.slice(target.lastIndexOf("/") + 1).toLowerCase();
    const matches = this.files.filter((f) => f.toLowerCase() === name || f.toLowerCase().endsWith(`/${name}`));
    return matches.sort((a, b) => a.length - b.length || a.localeCompare(b))[0] ?? null;
  }
}

/** `target` (which may climb with `..`) from `folder`, or null when it would leave the vault. */
function insideVault(folder: string, target: string): string | null {
  const parts: string[] = [];
  for (const segment of `${folder}/${target}`.replace(/\\/g, "/").split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      if (parts.pop() === undefined) return null;
    } else parts.push(segment);
  }
  return parts.length === 0 ? null : normalizeVaultPath(parts.join("/"));
}

/** Fills in each image block of the chapter (notes included) with its file, dropping the ones that cannot be shown. */
async function resolveImages(chapterPath: string, chapter: ModelChapter, finder: ImageFinder): Promise<void> {
  const walk = async (blocks: Block[]): Promise<Block[]> => {
    const out: Block[] = [];
    for (const block of blocks) {
      if (block.type === "image") {
        const image = await finder.find(chapterPath, block.src);
        if (image) out.push({ ...block, image });
      } else if (block.type === "blockquote") out.push({ ...block, blocks: await walk(block.blocks) });
      else if (block.type === "list") out.push({ ...block, items: await Promise.all(block.items.map(walk)) });
      else out.push(block);
    }
    return out;
  };
  chapter.blocks = await walk(chapter.blocks);
  chapter.notes = await Promise.all(chapter.notes.map(walk));
}

/** A chapter that starts with its own title as a heading would print the title twice. */
function dropTitleHeading(blocks: Block[], title: string): Block[] {
  const first = blocks[0];
  if (first?.type !== "heading") return blocks;
  const text = first.runs.map((r) => r.text).join("").trim();
  return text.localeCompare(title.trim(), undefined, { sensitivity: "base" }) === 0 ? blocks.slice(1) : blocks;
}

// ---------------------------------------------------------------------------------------------------
// Parsing

/**
 * Obsidian syntax resolved before CommonMark parsing: comments removed; embeds dropped (text formats
 * cannot show a picture or another note); wiki links replaced by the text Obsidian shows; Obsidian's
 * inline footnotes (`^[text]`) turned into a reference and a definition, which the GFM footnote extension
 * then reads; a `---`
 * line right under a paragraph separated from it, so it is a scene break and not a setext heading.
 */
export function resolveObsidianSyntax(markdown: string): string {
  let text = markdown.replace(/\r\n?/g, "\n");
  if (text.includes("%%")) text = text.replace(/%%[\s\S]*?(?:%%|$)/g, "");
  if (text.includes("[[")) {
    text = text
      .replace(/!\[\[([^\]|#\n]*)(?:#[^\]|\n]*)?(?:\|([^\]\n]*))?\]\]/g, (_m, target: string, label: string | undefined) => imageEmbed(target, label))
      .replace(/\[\[([^\]|\n]*)\|([^\]\n]*)\]\]/g, "$2")
      .replace(/\[\[([^\]#^|\n]*)(?:[#^][^\]\n]*)?\]\]/g, (_m, target: string) => target.slice(target.lastIndexOf("/") + 1));
  }
  if (text.includes("^[")) text = inlineFootnotesToDefinitions(text);
  text = text.replace(/([^\n])\n( {0,3}-{3,}[ \t]*)$/gm, "$1\n\n$2");
  return text;
}

/** `^[text]` (not inside a wiki link's brackets) becomes `[^bw-inline-n]` plus a definition at the end. */
function inlineFootnotesToDefinitions(text: string): string {
  const definitions: string[] = [];
  const body = text.replace(/\^\[((?:[^[\]\n]|\[[^\]\n]*\])*)\]/g, (_m, note: string) => {
    const label = `bw-inline-${definitions.length + 1}`;
    definitions.push(`[^${label}]: ${note}`);
    return `[^${label}]`;
  });
  return definitions.length === 0 ? text : `${body}\n\n${definitions.join("\n\n")}\n`;
}

const IMAGE_FILE = /\.(?:png|jpe?g|gif|webp|svg|bmp|avif|tiff?)$/i;

/**
 * An embed of a picture becomes a CommonMark image (`![alt](<Map.png>)`) the parser keeps; an embed of a
 * note is dropped, since no export can show another note. Obsidian's `|300` or `|300x200` after an image
 * is a display size, not alt text.
 */
function imageEmbed(target: string, label: string | undefined): string {
  const file = target.trim();
  if (!IMAGE_FILE.test(file)) return "";
  const alt = label === undefined || /^\d+(?:x\d+)?$/.test(label.trim()) ? "" : label.trim();
  return `![${alt.replace(/[[\]\\]/g, "\\$&")}](<${file.replace(/[<>]/g, "")}>)`;
}

// Indented code is off: prose pasted with a four-space first-line indent is a paragraph, not code.
const PARSE_EXTENSIONS = [{ disable: { null: ["codeIndented"] } }, gfmFootnote()];
const MDAST_EXTENSIONS = [gfmFootnoteFromMarkdown()];

/** One chapter body (no frontmatter) as blocks; its footnotes are left out (see parseChapterWithNotes). */
export function parseChapter(markdown: string, options: { smartTypography?: boolean } = {}): Block[] {
  return parseChapterWithNotes(markdown, options).blocks;
}

/**
 * One chapter body as blocks and footnotes. Notes are numbered from 1 in the order the text first refers
 * to them; a definition nothing refers to is dropped (no reader could reach it), and a reference to a
 * missing definition is kept as the text the writer typed.
 */
export function parseChapterWithNotes(markdown: string, options: { smartTypography?: boolean } = {}): { blocks: Block[]; notes: Block[][] } {
  const source = resolveObsidianSyntax(markdown);
  const parsed = plainChunks(source) ?? parseFull(source);
  const smart = options.smartTypography ?? true;
  return smart ? { blocks: smartenBlocks(parsed.blocks), notes: parsed.notes.map(smartenBlocks) } : parsed;
}

/** The whole chapter through micromark: the reference every shortcut must agree with. */
export function parseFull(source: string): { blocks: Block[]; notes: Block[][] } {
  const tree = fromMarkdown(source, { extensions: PARSE_EXTENSIONS, mdastExtensions: MDAST_EXTENSIONS });
  const definitions = new Map<string, FootnoteDefinition>();
  for (const node of tree.children) if (node.type === "footnoteDefinition" && !definitions.has(node.identifier)) definitions.set(node.identifier, node);
  const notes = new Notes(definitions);
  return { blocks: convertBlocks(tree.children, notes), notes: notes.converted };
}

/**
 * Most of a novel is paragraphs of plain prose, and micromark, correct as it is, spends most of a whole-book
 * export's time confirming that. So a chapter is cut at blank lines, and a piece that cannot be anything but
 * one paragraph of plain text (no character that starts inline syntax, no line that could open a block)
 * becomes that paragraph directly; every other run of pieces goes through micromark as before.
 *
 * Only chapters where cutting cannot change the meaning take this path: nothing that spans blank lines or
 * the whole chapter (HTML blocks and comments, fenced code, indented continuations of list items, link and
 * footnote definitions — all caught by refusing `<`, `[`, fences and lines that start with whitespace).
 * Returns null for any other chapter, which is then parsed whole. book-model.test.ts checks that both paths
 * agree on the corpus novel and on generated Markdown.
 */
export function plainChunks(source: string): { blocks: Block[]; notes: Block[][] } | null {
  if (/[<[\t\0]|^[ \t]|^(?:```|~~~)/m.test(source)) return null;
  // Pieces micromark must read go to it in one call per chapter (setting up a parse costs more than a
  // paragraph does), each group closed by a comment line, which ends any list or quote before it and comes
  // back as its own html node to cut the result at. Chapters holding `<` never get here, so the writer's
  // own text cannot contain the marker.
  const slots: (Block | number)[] = [];
  const groups: string[] = [];
  let pending: string[] = [];
  const flush = (): void => {
    if (pending.length === 0) return;
    slots.push(groups.length);
    groups.push(pending.join("\n\n"));
    pending = [];
  };
  for (const chunk of source.split(/\n(?:[ \t]*\n)+/)) {
    if (chunk.trim() === "") continue;
    if (INLINE_SYNTAX.test(chunk) || BLOCK_START.test(chunk) || /[ \t]{2,}\n/.test(chunk)) {
      pending.push(chunk);
      continue;
    }
    flush();
    const runs = tidyRuns([{ text: chunk.replace(/[ \t]*\n[ \t]*/g, " ") }]);
    if (runs.length > 0) slots.push({ type: "paragraph", runs });
  }
  flush();
  const parsed = groups.length === 0 ? [] : parseGroups(groups);
  const blocks = slots.flatMap((slot) => (typeof slot === "number" ? parsed[slot]! : [slot]));
  return { blocks, notes: [] };
}

const GROUP_END = "<!--bookwright-group-end-->";

function parseGroups(groups: string[]): Block[][] {
  const tree = fromMarkdown(groups.map((g) => `${g}\n\n${GROUP_END}\n\n`).join(""), { extensions: PARSE_EXTENSIONS, mdastExtensions: MDAST_EXTENSIONS });
  const out: Block[][] = [];
  let current: RootContent[] = [];
  const notes = new Notes(new Map());
  for (const node of tree.children) {
    if (node.type === "html" && node.value === GROUP_END) {
      out.push(convertBlocks(current, notes));
      current = [];
    } else current.push(node);
  }
  if (out.length !== groups.length) throw new Error(`internal: ${groups.length} groups of Markdown came back as ${out.length}`);
  return out;
}

/**
 * A piece that is one plain paragraph: none of the characters that start inline syntax (emphasis, code,
 * links, escapes, entities, HTML, strikethrough), and no line that begins a heading, quote, list item,
 * thematic break, setext underline or fence.
 */
const INLINE_SYNTAX = /[*_`\\&~]/;
const BLOCK_START = /^(?:[#>=+*-]|\d{1,9}[.)])/m;

/** Numbers footnotes as they are first referred to, converting each definition once (notes may refer to notes). */
class Notes {
  readonly converted: Block[][] = [];
  private readonly numbers = new Map<string, number>();
  constructor(private readonly definitions: Map<string, FootnoteDefinition>) {}

  numberOf(identifier: string): number | null {
    const known = this.numbers.get(identifier);
    if (known !== undefined) return known;
    const definition = this.definitions.get(identifier);
    if (!definition) return null;
    const n = this.converted.length + 1;
    this.numbers.set(identifier, n);
    this.converted.push([]);
    this.converted[n - 1] = convertBlocks(definition.children, this);
    return n;
  }
}

function convertBlocks(nodes: (RootContent | BlockContent | DefinitionContent)[], notes: Notes): Block[] {
  const out: Block[] = [];
  for (const node of nodes) {
    switch (node.type) {
      case "paragraph": {
        const runs = convertInline(node.children, {}, notes);
        if (runs.length > 0) out.push({ type: "paragraph", runs });
        // A picture inside a paragraph follows it: no export here flows text around an image.
        for (const child of node.children) if (child.type === "image") out.push({ type: "image", src: child.url, alt: child.alt ?? "" });
        break;
      }
      case "heading": {
        const runs = convertInline(node.children, {}, notes);
        // A lone `#` is a writer's scene break, not an empty heading.
        out.push(runs.length === 0 ? { type: "sceneBreak" } : { type: "heading", depth: node.depth, runs });
        break;
      }
      case "thematicBreak":
        out.push({ type: "sceneBreak" });
        break;
      case "blockquote": {
        const blocks = convertBlocks(node.children, notes);
        if (blocks.length > 0) out.push({ type: "blockquote", blocks });
        break;
      }
      case "list":
        out.push({ type: "list", ordered: node.ordered ?? false, start: node.start ?? 1, items: node.children.map((item) => convertBlocks(item.children, notes)) });
        break;
      case "code":
        out.push({ type: "code", text: node.value });
        break;
      default:
        // html (comments, tags) and link definitions have no text a reader sees.
        break;
    }
  }
  return out;
}

interface Style {
  italic?: boolean;
  bold?: boolean;
}

function convertInline(nodes: PhrasingContent[], style: Style, notes: Notes): Run[] {
  const runs: Run[] = [];
  const push = (text: string, s: Style): void => {
    if (text === "") return;
    const last = runs.at(-1);
    if (last && last.note === undefined && !!last.italic === !!s.italic && !!last.bold === !!s.bold) {
      last.text += text;
      return;
    }
    runs.push({ text, ...(s.italic ? { italic: true } : {}), ...(s.bold ? { bold: true } : {}) });
  };
  for (const node of nodes) {
    switch (node.type) {
      case "text":
        // A soft line break inside a paragraph reads as a space, as Markdown renders it.
        push(node.value.replace(/[ \t]*\n[ \t]*/g, " "), style);
        break;
      case "inlineCode":
        push(node.value, style);
        break;
      case "break":
        push("\n", style);
        break;
      case "emphasis":
        for (const run of convertInline(node.children, { ...style, italic: true }, notes)) push(run.text, run);
        break;
      case "strong":
        for (const run of convertInline(node.children, { ...style, bold: true }, notes)) push(run.text, run);
        break;
      case "link":
      case "linkReference":
      case "delete":
        for (const run of convertInline(node.children, style, notes)) push(run.text, run);
        break;
      case "footnoteReference": {
        const n = notes.numberOf(node.identifier);
        if (n === null) push(`[^${node.label ?? node.identifier}]`, style);
        else runs.push({ text: String(n), note: n });
        break;
      }
      default:
        // Images and inline HTML: nothing a text export can show.
        break;
    }
  }
  return tidyRuns(runs);
}

/** Spaces left where a comment or embed was taken out collapse to one, and a paragraph has no edge spaces. */
function tidyRuns(runs: Run[]): Run[] {
  const out: Run[] = [];
  let previousEndsInSpace = true;
  for (const run of runs) {
    let text = run.text.replace(/[ \t]{2,}/g, " ");
    if (previousEndsInSpace) text = text.replace(/^[ \t]+/, "");
    if (text === "") continue;
    previousEndsInSpace = /[ \t\n]$/.test(text);
    out.push({ ...run, text });
  }
  const last = out.at(-1);
  if (last) {
    last.text = last.text.replace(/[ \t]+$/, "");
    if (last.text === "") out.pop();
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Smart typography

function smartenBlocks(blocks: Block[]): Block[] {
  return blocks.map((block): Block => {
    switch (block.type) {
      case "paragraph":
      case "heading":
        return { ...block, runs: smartenRuns(block.runs) };
      case "blockquote":
        return { ...block, blocks: smartenBlocks(block.blocks) };
      case "list":
        return { ...block, items: block.items.map(smartenBlocks) };
      default:
        // Code is quoted exactly; a scene break has no text.
        return block;
    }
  });
}

/**
 * Straight quotes to curly ones, `--`/`---` to dashes and `...` to an ellipsis, across the runs of one
 * paragraph at once: a quote's direction depends on the character before it, which may sit in the
 * previous run (`"*Go*," she said`).
 */
export function smartenRuns(runs: Run[]): Run[] {
  let before = "";
  return runs.map((run, i) => {
    const text = smartenText(run.text, before, runs[i + 1]?.text.charAt(0) ?? "");
    before = text.slice(-1);
    return { ...run, text };
  });
}

/** Elisions that start with an apostrophe, which would otherwise be taken for an opening quote. */
const LEADING_ELISIONS = /^(?:tis|twas|twere|twill|em|til|n|cause|round|bout)\b/i;

const isSpace = (c: string): boolean => c === "" || /\s/.test(c);
const isWordChar = (c: string): boolean => /[\p{L}\p{N}]/u.test(c);
const OPENERS = new Set(["(", "[", "{", "“", "‘", "«", "‹", "„"]);
const DASHES = new Set(["—", "–", "-"]);

/** `before` and `after` are the characters around `text` (from the runs beside it), "" at the paragraph's edges. */
export function smartenText(text: string, before = "", after = ""): string {
  let s = text;
  if (s.includes("--")) s = s.replace(/---/g, "—").replace(/(\d)--(?=\d)/g, "$1–").replace(/--/g, "—");
  if (s.includes("...")) s = s.replace(/\.\.\./g, "…");
  if (!s.includes('"') && !s.includes("'")) return s;
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '"' && c !== "'") {
      out += c;
      continue;
    }
    const prev = i === 0 ? before : out.slice(-1);
    const next = s[i + 1] ?? after;
    if (c === "'") {
      if (isWordChar(prev)) out += "’"; // don't, Bennets', and closing after a word
      else if (/^\d{2}(?:s|\b)/.test(s.slice(i + 1)) || LEADING_ELISIONS.test(s.slice(i + 1))) out += "’"; // '90s, 'tis
      else out += opens(prev, next) ? "‘" : "’";
    } else {
      out += opens(prev, next) ? "“" : "”";
    }
  }
  return out;
}

/** A quote opens after space, an opening bracket or quote, or a dash that is not followed by a space. */
function opens(prev: string, next: string): boolean {
  if (isSpace(prev) || OPENERS.has(prev)) return !isSpace(next) || prev === "";
  if (DASHES.has(prev)) return !isSpace(next);
  return false;
}
