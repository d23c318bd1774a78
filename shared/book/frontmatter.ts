/**
 * Frontmatter: find the YAML block, parse it safely, and rewrite single keys without touching any other
 * byte of the note. We use `yaml` directly rather than gray-matter: gray-matter keeps a trailing `\r` in
 * values of CRLF notes, caches and shares parsed objects, and gives no offsets to rewrite in place
 * (docs/decisions/0002-frontmatter-without-gray-matter.md).
 */
import { isMap, isScalar, parseDocument, stringify, type Document } from "yaml";
import type { Diagnostic } from "./diagnostics";

export interface FrontmatterLimits {
  /** Largest frontmatter block we parse, in UTF-16 units; larger blocks are reported, not parsed. @default 65536 */
  maxFrontmatterChars: number;
  /** Deepest nesting of lists and maps we accept; deeper YAML is reported, not parsed. @default 64 */
  maxDepth: number;
}

export const DEFAULT_FRONTMATTER_LIMITS: FrontmatterLimits = { maxFrontmatterChars: 64 * 1024, maxDepth: 64 };

/** Where the frontmatter block sits in a note. Offsets index the note's text as read (BOM included). */
export interface FrontmatterBlock {
  /** Offset of the first character of the YAML (after the opening `---` line). */
  yamlStart: number;
  /** Offset just past the YAML (the start of the closing `---` line). */
  yamlEnd: number;
  /** Offset of the body: just past the closing line and its line ending. */
  bodyStart: number;
  /** The line ending the note uses, so rewrites keep CRLF notes CRLF. */
  eol: "\n" | "\r\n";
}

/** Finds the frontmatter block: `---` on the very first line (after an optional BOM), closed by `---`. */
export function findFrontmatter(text: string): FrontmatterBlock | null {
  const start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  if (!text.startsWith("---", start)) return null;
  const firstEnd = text.indexOf("\n", start);
  if (firstEnd === -1 || text.slice(start + 3, firstEnd).trim() !== "") return null;
  const eol = text.charCodeAt(firstEnd - 1) === 13 ? "\r\n" : "\n";
  let lineStart = firstEnd + 1;
  while (lineStart < text.length) {
    let lineEnd = text.indexOf("\n", lineStart);
    const next = lineEnd === -1 ? text.length : lineEnd + 1;
    if (lineEnd === -1) lineEnd = text.length;
    if (text.startsWith("---", lineStart) && text.slice(lineStart + 3, lineEnd).trim() === "") {
      return { yamlStart: firstEnd + 1, yamlEnd: lineStart, bodyStart: next, eol };
    }
    lineStart = next;
  }
  return null;
}

export interface ParsedFrontmatter {
  /** The parsed mapping; null when the note has no frontmatter or it could not be parsed. */
  data: Record<string, unknown> | null;
  block: FrontmatterBlock | null;
  /** Offset where the body starts (0 without frontmatter). */
  bodyStart: number;
  /** Problems found, with lines relative to the note. */
  diagnostics: Diagnostic[];
}

/**
 * Parses a note's frontmatter with every guard on: a size cap and a nesting cap before parsing, no YAML
 * aliases (billion-laughs), unique keys. Never throws for bad input: problems come back as diagnostics.
 */
export function parseFrontmatter(path: string, text: string, limits = DEFAULT_FRONTMATTER_LIMITS): ParsedFrontmatter {
  const block = findFrontmatter(text);
  if (!block) {
    const unclosed = /^\uFEFF?---[ \t]*\r?\n/.test(text);
    const diagnostics: Diagnostic[] = unclosed
      ? [{ severity: "error", path, line: 1, message: "frontmatter starts with '---' but no closing '---' line was found" }]
      : [];
    return { data: null, block: null, bodyStart: 0, diagnostics };
  }
  const fail = (message: string, line = 2): ParsedFrontmatter => ({
    data: null,
    block,
    bodyStart: block.bodyStart,
    diagnostics: [{ severity: "error", path, line, message }],
  });
  const yamlText = text.slice(block.yamlStart, block.yamlEnd);
  if (yamlText.length > limits.maxFrontmatterChars) {
    return fail(`frontmatter is ${yamlText.length} characters; expected at most ${limits.maxFrontmatterChars}`);
  }
  const depth = nestingDepth(yamlText, limits.maxDepth);
  if (depth > limits.maxDepth) {
    return fail(`frontmatter nests lists or maps more than ${limits.maxDepth} levels deep; expected flat keys`);
  }
  // Most notes carry only flat `key: word or number` lines (Bookwright writes them so); reading those
  // without the YAML parser makes a 300-chapter scan several times faster. Anything else takes the parser.
  const simple = parseFlatYaml(yamlText);
  if (simple) return { data: simple, block, bodyStart: block.bodyStart, diagnostics: [] };
  let doc: Document;
  try {
    doc = parseDocument(yamlText, { uniqueKeys: true, prettyErrors: false });
  } catch (error) {
    return fail(`frontmatter could not be parsed as YAML: ${errorMessage(error)}`);
  }
  const firstError = doc.errors[0];
  if (firstError) {
    const line = firstError.linePos?.[0].line;
    return fail(`invalid YAML: ${firstError.message.split("\n")[0] ?? ""}`, line === undefined ? 2 : line + 1);
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 0 });
  } catch (error) {
    const alias = error instanceof ReferenceError || /alias/i.test(errorMessage(error));
    return fail(alias ? "YAML aliases (*name) are not allowed in frontmatter; write the value out" : `invalid YAML: ${errorMessage(error)}`);
  }
  if (value === null || value === undefined) return { data: {}, block, bodyStart: block.bodyStart, diagnostics: [] };
  if (typeof value !== "object" || Array.isArray(value)) {
    return fail("frontmatter must be a list of `key: value` lines");
  }
  return { data: value as Record<string, unknown>, block, bodyStart: block.bodyStart, diagnostics: [] };
}

const FLAT_LINE = /^([A-Za-z_][A-Za-z0-9_-]*):(?:[ \t]+(.*?))?[ \t]*\r?$/;
/** A plain YAML scalar that the core schema reads as a string: starts with a letter, no indicators. */
const PLAIN_TEXT = /^[A-Za-z\u00C0-\u024F](?:(?!\p{Cc})[^:#'"[\]{},&*!|>%@`\\])*$/u;
const KEYWORDS = /^(?:null|Null|NULL|true|True|TRUE|false|False|FALSE)$/;
const PLAIN_INT = /^(?:0|[1-9][0-9]{0,14})$/;

/**
 * Reads frontmatter made only of `key: value` lines whose values are plain words or whole numbers, the
 * way the YAML 1.2 core schema would; returns null for anything else (comments, quotes, lists, nesting,
 * empty values, duplicate keys), which then goes to the full parser. Property-tested against `yaml`.
 */
export function parseFlatYaml(yamlText: string): Record<string, unknown> | null {
  const data: Record<string, unknown> = {};
  let start = 0;
  while (start < yamlText.length) {
    let end = yamlText.indexOf("\n", start);
    if (end === -1) end = yamlText.length;
    const line = yamlText.slice(start, end);
    start = end + 1;
    // yaml treats a lone `\r` (no `\n` after it) as part of the value; leave that oddity to the parser.
    if (end === yamlText.length && line.endsWith("\r")) return null;
    if (line === "" || line === "\r") continue;
    const match = FLAT_LINE.exec(line);
    if (!match) return null;
    const key = match[1]!;
    const raw = match[2];
    if (raw === undefined || raw === "" || key === "__proto__" || Object.hasOwn(data, key)) return null;
    if (PLAIN_INT.test(raw)) data[key] = Number(raw);
    else if (PLAIN_TEXT.test(raw) && !KEYWORDS.test(raw)) data[key] = raw;
    else return null;
  }
  return data;
}

/**
 * Upper bound on nesting depth: flow brackets outside quotes, and block indentation. Stops counting at
 * `limit + 1`, so a hostile 20,000-deep document costs one linear scan and never reaches the parser.
 */
function nestingDepth(yamlText: string, limit: number): number {
  let depth = 0;
  let max = 0;
  let quote = 0;
  let lineIndent = 0;
  let atLineStart = true;
  for (let i = 0; i < yamlText.length; i++) {
    const c = yamlText.charCodeAt(i);
    if (c === 10) {
      atLineStart = true;
      lineIndent = 0;
      continue;
    }
    if (atLineStart) {
      if (c === 32 || c === 45) {
        // Spaces and block-sequence dashes both deepen a block structure.
        lineIndent++;
        continue;
      }
      atLineStart = false;
      max = Math.max(max, Math.floor(lineIndent / 2));
    }
    if (quote !== 0) {
      if (c === quote) quote = 0;
      continue;
    }
    if (c === 34 || c === 39) quote = c;
    else if (c === 91 || c === 123) {
      depth++;
      if (depth > max) max = depth;
    } else if (c === 93 || c === 125) depth = Math.max(0, depth - 1);
    if (max > limit) return max;
  }
  return max;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message.split("\n")[0] ?? "" : String(error);
}

/** 1-based line of a top-level key in the note, for diagnostics; undefined when not found. */
export function lineOfKey(text: string, block: FrontmatterBlock, key: string): number | undefined {
  const yamlText = text.slice(block.yamlStart, block.yamlEnd);
  const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const match = new RegExp(`^["']?${escaped}["']?[ \\t]*:`, "m").exec(yamlText);
  if (!match) return undefined;
  return countLines(text, block.yamlStart + match.index);
}

function countLines(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) line++;
  return line;
}

/**
 * Sets (or, with `undefined`, removes) top-level frontmatter keys, changing only the bytes of those keys:
 * other keys, their order, quoting, comments, the body, the BOM and CRLF endings stay exactly as written.
 * A note without frontmatter gets a new block. Throws when the existing frontmatter cannot be parsed,
 * because rewriting YAML we cannot read could destroy the writer's data.
 *
 * @example setFrontmatterKeys("---\ntitle: A\n---\nText", { words: 1 }) // "---\ntitle: A\nwords: 1\n---\nText"
 */
export function setFrontmatterKeys(text: string, updates: Record<string, unknown>): string {
  const block = findFrontmatter(text);
  if (!block) {
    const bom = text.charCodeAt(0) === 0xfeff ? "\uFEFF" : "";
    const eol = text.includes("\r\n") ? "\r\n" : "\n";
    const entries = Object.entries(updates).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return text;
    const yamlText = serialiseEntries(entries, eol);
    return `${bom}---${eol}${yamlText}---${eol}${text.slice(bom.length)}`;
  }
  const yamlText = text.slice(block.yamlStart, block.yamlEnd);
  const doc = parseDocument(yamlText, { uniqueKeys: true });
  if (doc.errors.length > 0 || (doc.contents !== null && !isMap(doc.contents))) {
    throw new Error(`cannot update frontmatter: it is not valid YAML key: value pairs (${doc.errors[0]?.message.split("\n")[0] ?? "not a map"})`);
  }
  const edits: { from: number; to: number; insert: string }[] = [];
  const appended: [string, unknown][] = [];
  const items = doc.contents && isMap(doc.contents) ? doc.contents.items : [];
  for (const [key, value] of Object.entries(updates)) {
    const pair = items.find((p) => isScalar(p.key) && String(p.key.value) === key);
    if (!pair) {
      if (value !== undefined) appended.push([key, value]);
      continue;
    }
    const keyNode = pair.key as { range?: [number, number, number] };
    const valueNode = pair.value as { range?: [number, number, number] } | null;
    const from = lineStartOf(yamlText, keyNode.range?.[0] ?? 0);
    let to = valueNode?.range ? valueNode.range[1] : endOfLine(yamlText, keyNode.range?.[1] ?? 0);
    while (to > from && (yamlText[to - 1] === "\n" || yamlText[to - 1] === "\r")) to--;
    if (value === undefined) {
      // The whole entry goes, a trailing `# comment` on its last line included.
      edits.push({ from, to: skipLineEnd(yamlText, endOfLine(yamlText, to)), insert: "" });
    } else {
      const serialised = serialiseEntries([[key, value]], block.eol);
      edits.push({ from, to, insert: serialised.slice(0, serialised.length - block.eol.length) });
    }
  }
  let newYaml = yamlText;
  for (const edit of edits.sort((a, b) => b.from - a.from)) {
    newYaml = newYaml.slice(0, edit.from) + edit.insert + newYaml.slice(edit.to);
  }
  if (appended.length > 0) {
    if (newYaml.length > 0 && !newYaml.endsWith("\n")) newYaml += block.eol;
    newYaml += serialiseEntries(appended, block.eol);
  }
  if (newYaml === yamlText) return text;
  return text.slice(0, block.yamlStart) + newYaml + text.slice(block.yamlEnd);
}

function serialiseEntries(entries: [string, unknown][], eol: string): string {
  const yamlText = stringify(Object.fromEntries(entries), { lineWidth: 0 });
  return eol === "\n" ? yamlText : yamlText.replace(/\n/g, eol);
}

function lineStartOf(text: string, offset: number): number {
  return text.lastIndexOf("\n", offset - 1) + 1;
}

function endOfLine(text: string, offset: number): number {
  const end = text.indexOf("\n", offset);
  return end === -1 ? text.length : end;
}

function skipLineEnd(text: string, offset: number): number {
  if (text[offset] === "\r") offset++;
  if (text[offset] === "\n") offset++;
  return offset;
}
