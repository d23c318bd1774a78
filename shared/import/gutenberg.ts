/**
 * Project Gutenberg packaging around a book: the header (metadata and licence summary up to the
 * `*** START OF …` marker), the licence after the `*** END OF …` marker, and `[Illustration: …]`
 * captions standing in for the printed pictures. None of it is the writer's prose, so the import
 * leaves it out; the metadata supplies the book's title, author and language.
 */
import { parseChapterHeading, type LineWarning, type SourceLine } from "./chapters";

export interface GutenbergMetadata {
  title?: string;
  author?: string;
  /** BCP 47 tag derived from the `Language:` line, when we know the language. */
  language?: string;
}

export interface StrippedGutenberg {
  /** The lines between the markers (all lines when there are none). */
  lines: SourceLine[];
  metadata: GutenbergMetadata;
  /** Whether a start marker (header end) was found. */
  header: boolean;
  /** Whether an end marker was found. */
  footer: boolean;
}

/**
 * Keeps only the book between the Gutenberg start and end markers. Metadata is read from the header
 * only: a `Title:` line inside the novel is prose.
 */
export function stripGutenbergBoilerplate(lines: SourceLine[]): StrippedGutenberg {
  const start = lines.findIndex((line) => isStartMarker(line.text));
  const from = start + 1;
  let end = -1;
  for (let i = from; i < lines.length; i++) {
    if (isEndMarker(lines[i]!.text)) {
      end = i;
      break;
    }
  }
  return {
    lines: lines.slice(from, end === -1 ? lines.length : end),
    metadata: start === -1 ? {} : readMetadata(lines.slice(0, start)),
    header: start !== -1,
    footer: end !== -1,
  };
}

/** Lower-cased marker text without the decoration: `*** START OF THE PROJECT GUTENBERG™ EBOOK` → "start of the project gutenberg ebook". */
function markerText(line: string): string {
  let text = line.trim();
  let i = 0;
  while (i < text.length && (text[i] === "*" || text[i] === " ")) i++;
  text = text.slice(i).toLowerCase().replace(/™/g, "");
  return text.replace(/\s+/g, " ");
}

/** `*** START OF THE/THIS PROJECT GUTENBERG EBOOK …`, or the 1990s `*END*THE SMALL PRINT!…` licence end. */
export function isStartMarker(line: string): boolean {
  const text = markerText(line);
  return (
    text.startsWith("start of the project gutenberg") ||
    text.startsWith("start of this project gutenberg") ||
    text.startsWith("end*the small print")
  );
}

/** `*** END OF THE/THIS PROJECT GUTENBERG EBOOK …`, `End of the Project Gutenberg EBook of …`, `End of Project Gutenberg's …`. */
export function isEndMarker(line: string): boolean {
  const text = markerText(line);
  return (
    text.startsWith("end of the project gutenberg") ||
    text.startsWith("end of this project gutenberg") ||
    text.startsWith("end of project gutenberg")
  );
}

/** Gutenberg's language names for the languages most of its books are in. */
const LANGUAGE_TAGS: Record<string, string> = {
  english: "en", french: "fr", german: "de", spanish: "es", italian: "it", portuguese: "pt", dutch: "nl",
  finnish: "fi", swedish: "sv", danish: "da", norwegian: "no", latin: "la", greek: "el", russian: "ru",
  polish: "pl", hungarian: "hu", czech: "cs", chinese: "zh", japanese: "ja", esperanto: "eo", catalan: "ca",
  welsh: "cy", irish: "ga", tagalog: "tl",
};

/** `Title:`, `Author:` and `Language:` lines; a value may continue on indented lines below. */
function readMetadata(header: SourceLine[]): GutenbergMetadata {
  const values = new Map<string, string>();
  let current: string | null = null;
  for (const { text } of header) {
    const colon = text.indexOf(":");
    const key = colon > 0 ? text.slice(0, colon).trim().toLowerCase() : "";
    if (key === "title" || key === "author" || key === "language") {
      current = key;
      if (!values.has(key)) values.set(key, text.slice(colon + 1).trim());
      else current = null;
    } else if (current !== null && text.trim() !== "" && /^\s/.test(text)) {
      values.set(current, `${values.get(current)} ${text.trim()}`.trim());
    } else {
      current = null;
    }
  }
  const metadata: GutenbergMetadata = {};
  const title = values.get("title");
  const author = values.get("author");
  const language = values.get("language")?.split(/[,;]/)[0]?.trim().toLowerCase();
  if (title) metadata.title = title;
  if (author) metadata.author = author;
  if (language && LANGUAGE_TAGS[language]) metadata.language = LANGUAGE_TAGS[language];
  return metadata;
}

/** A caption that never closes within this many lines is a stray bracket, not a caption. */
const MAX_CAPTION_LINES = 60;

/**
 * Drops `[Illustration]` and `[Illustration: …]` captions, which may span lines and nest brackets
 * (`[Illustration: “…” [_Copyright 1894 by George Allen._]]`). A caption that holds a chapter heading
 * (illustrated editions set `Chapter I.` inside the title picture's caption) is replaced by that
 * heading, standing alone as a heading must.
 */
export function dropIllustrations(lines: SourceLine[]): { lines: SourceLine[]; warnings: LineWarning[] } {
  const out: SourceLine[] = [];
  const warnings: LineWarning[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const start = captionStart(line.text);
    if (start === -1) {
      out.push(line);
      continue;
    }
    const caption = readCaption(lines, i, start);
    if (!caption) {
      warnings.push({ line: line.line, message: "an [Illustration caption is never closed; only its first line was left out" });
      continue;
    }
    const heading = caption.contents.find((content) => parseChapterHeading(content.text) !== null);
    if (heading) {
      out.push({ text: "", line: heading.line }, { text: heading.text.trim(), line: heading.line }, { text: "", line: heading.line });
    }
    if (caption.after.trim() !== "") out.push({ text: caption.after, line: lines[caption.end]!.line });
    i = caption.end;
  }
  return { lines: out, warnings };
}

/** Column of the `[` opening a caption at the start of the line, or -1. */
function captionStart(text: string): number {
  const start = text.length - text.trimStart().length;
  const word = "[illustration";
  if (text.slice(start, start + word.length).toLowerCase() !== word) return -1;
  const next = text.charAt(start + word.length);
  return next === "" || next === "]" || next === ":" || next === " " ? start : -1;
}

/** Follows brackets from the caption's `[` to its matching `]`, collecting the text inside per line. */
function readCaption(
  lines: SourceLine[],
  first: number,
  column: number,
): { end: number; after: string; contents: SourceLine[] } | null {
  const contents: SourceLine[] = [];
  // The caption's text starts after `[Illustration` and its colon.
  const opening = lines[first]!.text;
  let textStart = column + "[illustration".length;
  if (opening.charAt(textStart) === ":") textStart++;
  let depth = 0;
  for (let i = first; i < lines.length && i < first + MAX_CAPTION_LINES; i++) {
    const { text, line } = lines[i]!;
    const from = i === first ? column : 0;
    const keepFrom = i === first ? textStart : 0;
    let content = "";
    for (let c = from; c < text.length; c++) {
      const char = text.charAt(c);
      if (char === "[") depth++;
      else if (char === "]") depth--;
      if (depth === 0) {
        contents.push({ text: content, line });
        return { end: i, after: text.slice(c + 1), contents };
      }
      if (c >= keepFrom) content += char;
    }
    contents.push({ text: content, line });
  }
  return null;
}
