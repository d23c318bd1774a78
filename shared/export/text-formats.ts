/**
 * The book model as one plain-text or one Markdown file: a title block, then each chapter under its
 * title. LF line endings and a final newline in both, so the files diff and concatenate cleanly. In a
 * series omnibus each book's title heads its chapters, a level above them.
 */
import { partOfChapter, type Block, type BookModel, type ModelChapter, type ModelPart, type Run } from "./book-model";

/** Plain text has no page width; scene breaks are centred on the 72 columns plain-text books use. */
const TEXT_WIDTH = 72;
const TEXT_SCENE_BREAK = "* * *";

export function toPlainText(model: BookModel): string {
  const sections = [
    titleBlock(model, (t) => t),
    ...model.chapters.flatMap((c, i) => [
      ...partStarting(model, i).map((part) => byline(part, underline(part.title))),
      `${chapterHeading(c)}\n\n${textBlocks(c.blocks)}${textNotes(c)}`.trimEnd(),
    ]),
  ];
  return `${sections.join("\n\n\n")}\n`;
}

export function toMarkdown(model: BookModel): string {
  // In an omnibus the books' titles are `##`, so chapters and the headings inside them move a level down.
  const shift = model.parts && model.parts.length > 0 ? 1 : 0;
  const sections = [
    titleBlock(model, (t) => `# ${escapeMarkdown(t)}`),
    ...model.chapters.flatMap((c, i) => {
      const label = (n: number): string => `${i + 1}-${n}`;
      return [
        ...partStarting(model, i).map((part) => byline(part, `## ${escapeMarkdown(part.title)}`)),
        `${"#".repeat(2 + shift)} ${escapeMarkdown(chapterHeading(c))}\n\n${markdownBlocks(c.blocks, label, shift)}${markdownNotes(c, label, shift)}`.trimEnd(),
      ];
    }),
  ];
  return `${sections.join("\n\n")}\n`;
}

/** The parts whose first chapter is chapter `index` (none in a single book). */
function partStarting(model: BookModel, index: number): ModelPart[] {
  if (partOfChapter(model, index) === null) return [];
  return model.parts!.filter((p) => p.start === index);
}

/** A part's heading, with its author under it when the books' authors differ. */
function byline(part: ModelPart, heading: string): string {
  return part.author ? `${heading}\n\nby ${part.author}` : heading;
}

/** Plain text's part heading: the title over a rule of its own length, as plain-text books mark a level above chapters. */
function underline(title: string): string {
  return `${title}\n${"=".repeat(Math.min(TEXT_WIDTH, Math.max(3, [...title].length)))}`;
}

function titleBlock(model: BookModel, title: (text: string) => string): string {
  return model.author ? `${title(model.title)}\n\nby ${model.author}` : title(model.title);
}

/** The writer's chapter title; the number only when the chapter has no title. */
function chapterHeading(chapter: ModelChapter): string {
  const title = chapter.title.trim();
  if (title !== "") return title;
  return chapter.number === null ? "Untitled chapter" : `Chapter ${chapter.number}`;
}

// ---------------------------------------------------------------------------------------------------
// Plain text

function textBlocks(blocks: Block[]): string {
  return blocks.map(textBlock).join("\n\n");
}

function textBlock(block: Block): string {
  switch (block.type) {
    case "paragraph":
    case "heading":
      return plainRuns(block.runs);
    case "sceneBreak":
      return `${" ".repeat(Math.floor((TEXT_WIDTH - TEXT_SCENE_BREAK.length) / 2))}${TEXT_SCENE_BREAK}`;
    case "blockquote":
      return indent(textBlocks(block.blocks), "    ");
    case "list":
      return block.items.map((item, i) => listItem(textBlocks(item), block.ordered ? `${block.start + i}. ` : "- ")).join("\n");
    case "code":
      return block.text;
    case "image":
      return block.alt ? `[Picture: ${block.alt}]` : "[Picture]";
  }
}

function plainRuns(runs: Run[]): string {
  return runs.map((r) => (r.note === undefined ? r.text : `[${r.note}]`)).join("");
}

/** Plain text has no foot of the page: a chapter's notes follow it, numbered as in the text. */
function textNotes(chapter: ModelChapter): string {
  if (chapter.notes.length === 0) return "";
  return `\n\nNotes\n\n${chapter.notes.map((note, i) => listItem(textBlocks(note), `[${i + 1}] `)).join("\n\n")}`;
}

// ---------------------------------------------------------------------------------------------------
// Markdown

/** Footnote labels must be unique in the one file, so each is prefixed with its chapter's place. */
type NoteLabel = (note: number) => string;

/** `shift`: levels the chapter headings sit below `##` (1 in an omnibus, whose books' titles are `##`). */
function markdownBlocks(blocks: Block[], label: NoteLabel, shift: number): string {
  return blocks.map((b) => markdownBlock(b, label, shift)).join("\n\n");
}

function markdownNotes(chapter: ModelChapter, label: NoteLabel, shift: number): string {
  if (chapter.notes.length === 0) return "";
  return `\n\n${chapter.notes.map((note, i) => listItem(markdownBlocks(note, label, shift), `[^${label(i + 1)}]: `)).join("\n\n")}`;
}

function markdownBlock(block: Block, label: NoteLabel, shift: number): string {
  switch (block.type) {
    case "paragraph":
      return escapeLineStart(markdownRuns(block.runs, label));
    case "heading":
      // Chapter titles are `##`, so a heading inside a chapter sits below them.
      return `${"#".repeat(Math.min(6, block.depth + 2 + shift))} ${markdownRuns(block.runs, label).replace(/\n/g, " ")}`;
    case "sceneBreak":
      return "***";
    case "blockquote":
      return markdownBlocks(block.blocks, label, shift)
        .split("\n")
        .map((line) => (line === "" ? ">" : `> ${line}`))
        .join("\n");
    case "list":
      return block.items.map((item, i) => listItem(markdownBlocks(item, label, shift), block.ordered ? `${block.start + i}. ` : "- ")).join("\n");
    case "code": {
      const longest = Math.max(2, ...(block.text.match(/`+/g) ?? []).map((f) => f.length));
      const fence = "`".repeat(longest + 1);
      return `${fence}\n${block.text}\n${fence}`;
    }
    case "image":
      // The vault path, so the file still finds its picture when it sits beside the vault's notes.
      return `![${block.alt.replace(/[[\]\\]/g, "\\$&")}](<${block.image?.path ?? block.src}>)`;
  }
}

function markdownRuns(runs: Run[], label: NoteLabel): string {
  let out = "";
  for (const [i, run] of runs.entries()) {
    if (run.note !== undefined) {
      out += `[^${label(run.note)}]`;
      continue;
    }
    let text = escapeMarkdown(run.text).replace(/\n/g, "\\\n");
    const before = i === 0 ? "" : (runs[i - 1]!.text.slice(-1));
    const after = runs[i + 1]?.text.charAt(0) ?? "";
    // `_` does not emphasise inside a word (`un_believ_able`); `*` does, so it is used there.
    const intraword = /[\p{L}\p{N}]/u.test(before) || /[\p{L}\p{N}]/u.test(after);
    if (run.italic) text = wrap(text, intraword ? "*" : "_");
    if (run.bold) text = wrap(text, "**");
    out += text;
  }
  return out;
}

/** Emphasis markers hug the text: `_ x _` is not emphasis, so edge spaces go outside them. */
function wrap(text: string, marker: string): string {
  const match = /^(\s*)([\s\S]*?)(\s*)$/.exec(text)!;
  const [, lead, core, trail] = match;
  return core === "" ? text : `${lead}${marker}${core}${marker}${trail}`;
}

/** Characters that would start emphasis or code where the writer meant them literally. */
function escapeMarkdown(text: string): string {
  return text.replace(/[\\*_`]/g, "\\$&");
}

/** A paragraph starting like a heading, quote or list item would be read as one. */
function escapeLineStart(text: string): string {
  return text.replace(/^(#|>|[-+] |\d+[.)] )/, (m) => (/^\d/.test(m) ? m.replace(/[.)]/, "\\$&") : `\\${m}`));
}

// ---------------------------------------------------------------------------------------------------

/** `- first line`, and the item's later lines indented under its text. */
function listItem(body: string, marker: string): string {
  return `${marker}${indent(body, " ".repeat(marker.length)).slice(marker.length)}`;
}

function indent(text: string, prefix: string): string {
  return text
    .split("\n")
    .map((line) => (line === "" ? "" : `${prefix}${line}`))
    .join("\n");
}
