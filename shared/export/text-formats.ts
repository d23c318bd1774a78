/**
 * The book model as one plain-text or one Markdown file: a title block, then each chapter under its
 * title. LF line endings and a final newline in both, so the files diff and concatenate cleanly.
 */
import type { Block, BookModel, ModelChapter, Run } from "./book-model";

/** Plain text has no page width; scene breaks are centred on the 72 columns plain-text books use. */
const TEXT_WIDTH = 72;
const TEXT_SCENE_BREAK = "* * *";

export function toPlainText(model: BookModel): string {
  const sections = [titleBlock(model, (t) => t), ...model.chapters.map((c) => `${chapterHeading(c)}\n\n${textBlocks(c.blocks)}${textNotes(c)}`.trimEnd())];
  return `${sections.join("\n\n\n")}\n`;
}

export function toMarkdown(model: BookModel): string {
  const sections = [
    titleBlock(model, (t) => `# ${escapeMarkdown(t)}`),
    ...model.chapters.map((c, i) => {
      const label = (n: number): string => `${i + 1}-${n}`;
      return `## ${escapeMarkdown(chapterHeading(c))}\n\n${markdownBlocks(c.blocks, label)}${markdownNotes(c, label)}`.trimEnd();
    }),
  ];
  return `${sections.join("\n\n")}\n`;
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

function markdownBlocks(blocks: Block[], label: NoteLabel): string {
  return blocks.map((b) => markdownBlock(b, label)).join("\n\n");
}

function markdownNotes(chapter: ModelChapter, label: NoteLabel): string {
  if (chapter.notes.length === 0) return "";
  return `\n\n${chapter.notes.map((note, i) => listItem(markdownBlocks(note, label), `[^${label(i + 1)}]: `)).join("\n\n")}`;
}

function markdownBlock(block: Block, label: NoteLabel): string {
  switch (block.type) {
    case "paragraph":
      return escapeLineStart(markdownRuns(block.runs, label));
    case "heading":
      // Chapter titles are `##`, so a heading inside a chapter sits below them.
      return `${"#".repeat(Math.min(6, block.depth + 2))} ${markdownRuns(block.runs, label).replace(/\n/g, " ")}`;
    case "sceneBreak":
      return "***";
    case "blockquote":
      return markdownBlocks(block.blocks, label)
        .split("\n")
        .map((line) => (line === "" ? ">" : `> ${line}`))
        .join("\n");
    case "list":
      return block.items.map((item, i) => listItem(markdownBlocks(item, label), block.ordered ? `${block.start + i}. ` : "- ")).join("\n");
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
