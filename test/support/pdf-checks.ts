/**
 * What the print PDF tests check a file with: qpdf --check, pdfinfo, pdffonts and pdftotext (poppler-utils),
 * and the outline read back with pdf-lib. Shared by the book and the series omnibus tests, so both are
 * held to the same checks.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { PDFArray, PDFDict, PDFDocument, PDFHexString, PDFName, PDFNumber, PDFRef, PDFString } from "pdf-lib";
import { expect } from "vitest";
import type { Block, BookModel } from "../../shared/export/book-model";
import { chapterHeading, type PrintLayout } from "../../shared/export/pdf/layout";

const run = promisify(execFile);

/** qpdf's verdict: exit 0 and its "no errors" line, or the output that says what is wrong. */
export async function qpdfCheck(file: string): Promise<string> {
  try {
    const { stdout, stderr } = await run("qpdf", ["--check", file]);
    return /No syntax or stream encoding errors found/.test(stdout) && stderr.trim() === "" ? "clean" : `${stdout}\n${stderr}`;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; code?: number };
    return `qpdf exited ${e.code}: ${e.stdout ?? ""}${e.stderr ?? ""}`;
  }
}

/** pdffonts' table as { name, emb, uni } rows. */
export async function fontsOf(file: string): Promise<{ name: string; emb: string; uni: string }[]> {
  const { stdout } = await run("pdffonts", [file]);
  return stdout
    .split("\n")
    .slice(2)
    .filter((l) => l.trim() !== "")
    .map((l) => {
      const m = /^(\S+)\s.*?\s(yes|no)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+\s*$/.exec(l);
      if (!m) throw new Error(`Unexpected pdffonts line: ${l}`);
      return { name: m[1]!, emb: m[2]!, uni: m[4]! };
    });
}

export async function pageSizes(file: string): Promise<string[]> {
  const { stdout } = await run("pdfinfo", ["-f", "1", "-l", "100000", file]);
  return [...stdout.matchAll(/^Page\s+\d+ size:\s+(.*)$/gm)].map((m) => m[1]!.trim());
}

export async function info(file: string): Promise<Record<string, string>> {
  const { stdout } = await run("pdfinfo", [file]);
  return Object.fromEntries(stdout.split("\n").flatMap((l) => {
    const m = /^([^:]+):\s*(.*)$/.exec(l);
    return m ? [[m[1]!.trim(), m[2]!.trim()]] : [];
  }));
}

/**
 * Each page's text as pdftotext reads it (reading order, not -layout): its non-empty lines. With `layout`,
 * as pdftotext -layout sets it out instead: an omnibus's contents, whose indented chapter entries reading
 * order would take for a column of their own.
 */
export async function pageTexts(file: string, options: { layout?: boolean } = {}): Promise<string[][]> {
  const { stdout } = await run("pdftotext", ["-enc", "UTF-8", ...(options.layout ? ["-layout"] : []), file, "-"], { maxBuffer: 64 * 1024 * 1024 });
  return stdout.split("\f").map((page) => page.split("\n").map((l) => l.trim()).filter((l) => l !== ""));
}

// ---------------------------------------------------------------------------------------------------
// The words a reader should find, from the model, in reading order

const SUPERSCRIPT = "⁰¹²³⁴⁵⁶⁷⁸⁹";
/** Tokens with no letter or digit are decoration (bullets, the scene-break ornament): left out on both sides. */
const meaningful = (token: string): boolean => /[\p{L}\p{N}]/u.test(token);
export const tokens = (text: string): string[] => text.split(/\s+/).filter((t) => t !== "" && meaningful(t));

export function blockWords(blocks: Block[]): string[] {
  const out: string[] = [];
  for (const block of blocks) {
    if (block.type === "paragraph" || block.type === "heading") {
      out.push(...tokens(block.runs.map((r) => (r.note === undefined ? r.text : [...String(r.note)].map((d) => SUPERSCRIPT[Number(d)]).join(""))).join("")));
    } else if (block.type === "blockquote") out.push(...blockWords(block.blocks));
    else if (block.type === "list") {
      block.items.forEach((item, i) => {
        if (block.ordered) out.push(`${block.start + i}.`);
        out.push(...blockWords(item));
      });
    } else if (block.type === "code") out.push(...tokens(block.text));
  }
  return out;
}

export function expectedWords(model: BookModel, layout: PrintLayout): string[] {
  return model.chapters.flatMap((chapter, i) => {
    const opening = layout.pages[layout.chapterPages[i]! - 1]!;
    const label = opening.lines.filter((l) => l.role === "chapterLabel").flatMap((l) => l.words.map((w) => w.text));
    const notes = chapter.notes.length === 0 ? [] : ["Notes", ...chapter.notes.flatMap((note, n) => [`${n + 1}.`, ...blockWords(note)])];
    return [...label, ...tokens(chapterHeading(chapter)), ...blockWords(chapter.blocks), ...notes];
  });
}

/**
 * The chapters' text from pdftotext, with each text page's running head and each page's folio taken
 * off (and checked to be there: head first, folio last), then matched word by word against the model.
 * pdftotext itself joins a word hyphenated at a line's end (dropping the hyphen, so a compound broken
 * at its own hyphen comes back without it: hyphens are not compared). A line that still ends in a
 * hyphen or dash (at a page's foot, or after a dash) is joined to the next line's first word when the
 * model has them as one word.
 */
export function wordOrderProblem(pages: string[][], layout: PrintLayout, model: BookModel): string | null {
  const lines: string[][] = [];
  for (const page of layout.pages) {
    if (page.chapter === null) continue;
    const text = [...pages[page.number - 1]!];
    if (page.kind === "text") {
      const head = page.lines.find((l) => l.role === "runningHead")!.words.map((w) => w.text).join(" ");
      if (text[0] !== head) return `page ${page.number} does not start with its running head "${head}": ${text[0]}`;
      text.shift();
    }
    if (page.kind === "text" || page.kind === "opening") {
      const folio = String(page.number);
      const last = text.at(-1) ?? "";
      if (last === folio) text.pop();
      // pdftotext joins a line ending in a hyphen to the next line, dropping the hyphen; when a page's
      // last line breaks a word, that next line is the folio. Put the hyphen back for the join below.
      else if (last.endsWith(folio) && page.lines.some((l) => l.role !== "folio" && l.slot === Math.max(...page.lines.filter((x) => x.role !== "folio").map((x) => x.slot)) && l.words.at(-1)?.text.endsWith("-"))) {
        text[text.length - 1] = `${last.slice(0, -folio.length)}-`;
      } else return `page ${page.number} does not end with its folio: ${last}`;
    }
    for (const line of text) lines.push(tokens(line));
  }
  const expected = expectedWords(model, layout);
  const actual = lines.flatMap((words, l) => words.map((w, i) => ({ w, lineEnd: i === words.length - 1, next: lines[l + 1]?.[0] })));
  let j = 0;
  for (let i = 0; i < actual.length; i++, j++) {
    const { w, lineEnd, next } = actual[i]!;
    const want = expected[j];
    if (w === want || (want !== undefined && w.replace(/-/g, "") === want.replace(/-/g, ""))) continue;
    if (lineEnd && next !== undefined && /[-‐–—]$/.test(w) && [w.slice(0, -1) + next, w + next].some((joined) => joined.replace(/-/g, "") === want?.replace(/-/g, ""))) {
      i++;
      continue;
    }
    // A word that really ends in a hyphen, at a line's end: pdftotext joined it to the next one.
    if (want?.endsWith("-") && w === want.slice(0, -1) + (expected[j + 1] ?? "")) {
      j++;
      continue;
    }
    const context = actual.slice(Math.max(0, i - 5), i + 5).map((a) => a.w).join(" ");
    return `word ${j}: found "${w}" where the book has "${want}" (…${context}…; expected …${expected.slice(Math.max(0, j - 5), j + 5).join(" ")}…)`;
  }
  return j === expected.length ? null : `the PDF ends after ${j} of ${expected.length} words; next: ${expected.slice(j, j + 5).join(" ")}`;
}

/** An outline entry: its title, the 1-based page it points at, and the entries under it (an omnibus's book). */
export interface OutlineItem {
  title: string;
  page: number;
  children?: OutlineItem[];
}

/**
 * The outline's entries as title and the 1-based page each points at, read back with pdf-lib, each level's
 * links (Parent, Prev, First, Last) and each open entry's Count checked on the way.
 */
export async function outlineOf(bytes: Uint8Array): Promise<{ count: number; entries: OutlineItem[]; lang: string }> {
  const doc = await PDFDocument.load(bytes);
  const pages = doc.getPages().map((p) => p.ref);
  const rootRef = doc.catalog.get(PDFName.of("Outlines")) as PDFRef;
  const root = doc.context.lookup(rootRef, PDFDict);
  /** The entries under `parent`, and how many are shown (the open ones' children too). */
  const level = (parentRef: PDFRef, parent: PDFDict): { entries: OutlineItem[]; visible: number } => {
    const entries: OutlineItem[] = [];
    let visible = 0;
    let previous: PDFRef | undefined;
    for (let ref = parent.get(PDFName.of("First")) as PDFRef | undefined; ref; ref = doc.context.lookup(ref, PDFDict).get(PDFName.of("Next")) as PDFRef | undefined) {
      const item = doc.context.lookup(ref, PDFDict);
      expect(item.get(PDFName.of("Parent"))).toBe(parentRef);
      expect(item.get(PDFName.of("Prev"))).toBe(previous);
      const title = item.lookup(PDFName.of("Title")) as PDFHexString | PDFString;
      const dest = item.lookup(PDFName.of("Dest"), PDFArray);
      const entry: OutlineItem = { title: title.decodeText(), page: pages.indexOf(dest.get(0) as PDFRef) + 1 };
      visible++;
      if (item.get(PDFName.of("First"))) {
        const children = level(ref, item);
        entry.children = children.entries;
        const count = item.lookup(PDFName.of("Count"), PDFNumber).asNumber();
        // Positive: open, its entries shown; negative: closed.
        expect(Math.abs(count)).toBe(children.visible);
        if (count > 0) visible += children.visible;
      }
      entries.push(entry);
      previous = ref;
    }
    expect(parent.get(PDFName.of("Last"))).toBe(previous);
    return { entries, visible };
  };
  const { entries, visible } = level(rootRef, root);
  const count = root.lookup(PDFName.of("Count"), PDFNumber).asNumber();
  expect(count).toBe(visible);
  const lang = doc.catalog.lookup(PDFName.of("Lang")) as PDFString | PDFHexString;
  return { count, entries, lang: lang.decodeText() };
}
