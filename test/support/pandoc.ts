/**
 * Reading a DOCX back with pandoc, as the DOCX tests check what a reader (or another program) finds in
 * the file: the document as Markdown or as pandoc's AST, flattened to chapters, their text and the notes.
 * Shared by the book and the series omnibus tests.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import type { Block, BookModel, ModelChapter } from "../../shared/export/book-model";

const PANDOC = "/usr/bin/pandoc";

/** The document as Markdown, unwrapped, as pandoc reads it. */
export function pandocMarkdown(bytes: Uint8Array, dir: string, name: string): Promise<string> {
  if (!existsSync(PANDOC)) throw new Error(`pandoc is not installed at ${PANDOC}; the DOCX read-back tests need it (apt-get install pandoc)`);
  return writeFile(path.join(dir, name), bytes).then(
    () =>
      new Promise((resolve, reject) => {
        execFile(PANDOC, ["-f", "docx", "-t", "markdown", "--wrap=none", path.join(dir, name)], { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
          if (error) reject(new Error(`pandoc failed: ${error.message}\n${stderr}`));
          else resolve(stdout);
        });
      }),
  );
}

export function pandocJson(bytes: Uint8Array, dir: string, name: string): Promise<unknown> {
  if (!existsSync(PANDOC)) throw new Error(`pandoc is not installed at ${PANDOC}; the DOCX read-back tests need it (apt-get install pandoc)`);
  return writeFile(path.join(dir, name), bytes).then(
    () =>
      new Promise((resolve, reject) => {
        execFile(PANDOC, ["-f", "docx", "-t", "json", path.join(dir, name)], { maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
          if (error) reject(new Error(`pandoc failed: ${error.message}\n${stderr}`));
          else resolve(JSON.parse(stdout));
        });
      }),
  );
}

export interface ReadBack {
  /** Level-1 headings' text, in order. */
  chapters: string[];
  /** Each chapter's text from its heading on (notes left out), words separated by single spaces. */
  chapterTexts: string[];
  /** The footnotes' text, in the order they are referred to. */
  notes: string[];
  /** With chapters below level 1 (an omnibus): the headings above them (the books), in order. */
  parts: string[];
  /** The paragraph standing right before each such heading (a book's "Book 2"), kept out of the chapter before it. */
  labels: string[];
}

type PandocNode = { t: string; c?: unknown };
const isNode = (v: unknown): v is PandocNode => typeof v === "object" && v !== null && !Array.isArray(v) && typeof (v as PandocNode).t === "string";

/**
 * Flattens pandoc's AST to text: every word in reading order, block boundaries as spaces, notes kept apart.
 * Chapters are the headings of `chapterLevel`; in an omnibus (level 2) the level-1 headings are its books,
 * which end the chapter before them, and a paragraph right before one is the book's label.
 */
export function readBack(ast: unknown, chapterLevel = 1): ReadBack {
  const out: ReadBack = { chapters: [], chapterTexts: [], notes: [], parts: [], labels: [] };
  const text = (node: unknown, sink: string[]): void => {
    if (Array.isArray(node)) {
      for (const child of node) text(child, sink);
      return;
    }
    if (!isNode(node)) return;
    switch (node.t) {
      case "Str":
        sink.push(node.c as string);
        return;
      case "Space":
      case "SoftBreak":
      case "LineBreak":
        sink.push(" ");
        return;
      case "Code":
        sink.push((node.c as [unknown, string])[1]);
        return;
      case "CodeBlock":
        sink.push(" ", (node.c as [unknown, string])[1], " ");
        return;
      case "Note": {
        const note: string[] = [];
        text(node.c, note);
        out.notes.push(words(note.join("")));
        return;
      }
      case "Link":
        text((node.c as unknown[])[1], sink);
        return;
      case "Image":
        return;
      default:
        text(node.c, sink);
        if (["Para", "Plain", "Header", "LineBlock"].includes(node.t)) sink.push(" ");
    }
  };
  const sinks: string[][] = [];
  const blocks = (ast as { blocks: unknown[] }).blocks;
  const headerLevel = (block: unknown): number | null => (isNode(block) && block.t === "Header" ? (block.c as [number])[0] : null);
  /** Whether chapters are open: text between a book's heading and its first chapter is not a chapter's. */
  let inChapter = false;
  for (const [i, block] of blocks.entries()) {
    const level = headerLevel(block);
    if (level !== null && level < chapterLevel) {
      const heading: string[] = [];
      text((block as { c: unknown[] }).c[2], heading);
      out.parts.push(words(heading.join("")));
      inChapter = false;
      continue;
    }
    const next = headerLevel(blocks[i + 1]);
    if (chapterLevel > 1 && next !== null && next < chapterLevel && isNode(block) && block.t === "Para") {
      const label: string[] = [];
      text(block, label);
      out.labels.push(words(label.join("")));
      continue;
    }
    if (level === chapterLevel) {
      const heading: string[] = [];
      text((block as { c: unknown[] }).c[2], heading);
      out.chapters.push(words(heading.join("")));
      sinks.push([]);
      inChapter = true;
    }
    // Before the first chapter: the title page and the contents, which the tests read from the XML.
    if (inChapter) text(block, sinks.at(-1)!);
  }
  out.chapterTexts = sinks.map((sink) => words(sink.join("")));
  return out;
}

export const words = (text: string): string => text.split(/\s+/).filter((w) => w !== "").join(" ");

/**
 * Where two lists of texts first differ, as a few words of context, or null when they are equal: a
 * novel's chapters are too long for a readable diff.
 */
export function firstDifference(actual: string[], expected: string[]): string | null {
  if (actual.length !== expected.length) return `${actual.length} texts, expected ${expected.length}`;
  for (const [i, text] of actual.entries()) {
    if (text === expected[i]) continue;
    const a = text.split(" ");
    const e = expected[i]!.split(" ");
    let at = 0;
    while (at < a.length && a[at] === e[at]) at++;
    return `text ${i + 1}, word ${at + 1}: "${a.slice(Math.max(0, at - 5), at + 8).join(" ")}" but expected "${e.slice(Math.max(0, at - 5), at + 8).join(" ")}"`;
  }
  return null;
}

/** What a reader should find in each chapter, from the model, as the exporters write it. */
export function expectedText(model: BookModel, sceneBreak: string): { chapters: string[]; chapterTexts: string[]; notes: string[] } {
  const notes: string[] = [];
  const chapterTexts = model.chapters.map((chapter) => {
    const sink: string[] = [heading(chapter), " "];
    blocksText(chapter.blocks, chapter, sink, notes, sceneBreak);
    return words(sink.join(""));
  });
  return { chapters: model.chapters.map(heading), chapterTexts, notes };
}

function heading(chapter: ModelChapter): string {
  return chapter.title.trim() || (chapter.number === null ? "Untitled chapter" : `Chapter ${chapter.number}`);
}

function blocksText(blocks: Block[], chapter: ModelChapter, sink: string[], notes: string[], sceneBreak: string, depth = 0): void {
  for (const block of blocks) {
    switch (block.type) {
      case "paragraph":
      case "heading":
        for (const run of block.runs) {
          if (run.note === undefined) sink.push(run.text);
          else {
            const note: string[] = [];
            blocksText(chapter.notes[run.note - 1]!, chapter, note, [], sceneBreak);
            notes.push(words(note.join("")));
          }
        }
        sink.push(" ");
        break;
      case "sceneBreak":
        sink.push(` ${sceneBreak} `);
        break;
      case "blockquote":
        blocksText(block.blocks, chapter, sink, notes, sceneBreak, depth);
        break;
      case "list":
        block.items.forEach((item, i) => {
          sink.push(` ${block.ordered ? `${block.start + i}.` : ["•", "◦", "▪"][depth % 3]} `);
          blocksText(item, chapter, sink, notes, sceneBreak, depth + 1);
        });
        break;
      case "code":
        sink.push(` ${block.text} `);
        break;
    }
  }
}
