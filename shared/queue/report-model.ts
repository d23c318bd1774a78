/**
 * A continuity report as something to act on, not only to read: the findings parsed back from the note
 * {@link renderReportBody} wrote, each quote found again in the chapter (so a view can open the exact
 * passage), a fix proposed as an exact replacement when the model gave the new wording, and a word diff
 * to show it. Everything here is pure text in, text out; the plugin's report view does the writing, and
 * only after the writer accepts.
 */
import { findFrontmatter, parseFrontmatter, setFrontmatterKeys } from "../book/frontmatter";
import { hashText } from "./hash";

export type FindingSeverity = "info" | "warning" | "error";

/** One finding as the report note holds it (the model's or a model-free check's). */
export interface ReportFinding {
  /** {@link findingKey}: what `dismissed` remembers, stable across re-renders of the same finding. */
  key: string;
  severity: FindingSeverity;
  /** Lower case, as the agents name it: character, timeline, setting, object, knowledge, style. */
  category: string;
  /** The model-free check that found it ("stock-phrase"…); absent for the model's findings. */
  check?: string;
  quote: string;
  where: string;
  why: string;
  /** `book` (and `bookTitle`) when the fact is from an earlier book of the series: its chapter is that book's. */
  earlierFact?: { chapter: number; quote: string; book?: number; bookTitle?: string };
  suggestedFix?: string;
}

export interface ParsedReport {
  title: string;
  /** From the `Checked [[stem|Chapter N]]` line, when the writer left it. */
  chapter?: number;
  chapterStem?: string;
  overall?: "pass" | "warning" | "fail";
  findings: ReportFinding[];
  summary: string;
}

/** Where a quote is in a chapter's body. Offsets index the body as given. */
export interface QuoteLocation {
  /** 1-based line of the body where the passage starts. */
  line: number;
  from: number;
  to: number;
  /** The block id already at the end of the passage's paragraph (`^id`), when the writer or Obsidian set one. */
  blockId?: string;
}

/** A fix as an exact replacement of `before` (at `from`–`to` of the chapter's body) by `after`. */
export interface ProposedFix {
  from: number;
  to: number;
  before: string;
  after: string;
  /** The quoted passage the edit lies in, as the chapter had it: the fix applies only while it is there. */
  passage: { from: number; text: string };
}

export interface DiffToken {
  kind: "same" | "added" | "removed";
  text: string;
}

// --- Keys -----------------------------------------------------------------------------------------------

/**
 * The key a dismissal is remembered by: a hash of the quote and the reason, so a re-check that finds the
 * same problem again stays dismissed, and one that finds something new about the same passage does not.
 */
export function findingKey(finding: { quote: string; why: string }): string {
  return hashText(`${oneLine(finding.quote)}\n${oneLine(finding.why)}`);
}

/** The report note's `dismissed` key, read leniently (anything but a list of strings counts as none). */
export function readDismissed(meta: Record<string, unknown> | null | undefined): string[] {
  const value = meta?.dismissed;
  if (typeof value === "string") return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/**
 * The report note with `key` added to (or taken from) its `dismissed` key; only that key's bytes change,
 * and the key goes once nothing is dismissed. Throws when the note's frontmatter cannot be parsed.
 */
export function withDismissed(noteText: string, key: string, dismissed: boolean): string {
  const current = readDismissed(parseFrontmatter("report", noteText).data);
  const next = dismissed ? (current.includes(key) ? current : [...current, key]) : current.filter((k) => k !== key);
  if (next.length === current.length && next.every((k, i) => k === current[i])) return noteText;
  return setFrontmatterKeys(noteText, { dismissed: next.length > 0 ? next : undefined });
}

// --- Reading a report back ------------------------------------------------------------------------------

const HEADER = /^\[!([^\]]+)\][+-]?\s*(.*?)\s*\(\s*(info|warning|error)\s*(?:,\s*([^)]*?))?\s*\)\s*$/i;
/** `"quote" — where`: the quote runs to the last `" —`, since quotes are dialogue and hold quote marks themselves. */
const QUOTE_LINE = /^"(.*)"\s*—\s*(.*)$/;
const EARLIER = /^Earlier, in chapter (\d+):\s*"(.*)"\s*$/;
/** An earlier book's fact, as earlierFactLine writes it: `Contradicts book 1, chapter 12 (First Impressions): "…"`. */
const EARLIER_BOOK = /^Contradicts book (\d+), chapter (\d+)(?: \(([^()]*)\))?:\s*"(.*)"\s*$/;
const FIX = /^\*\*Suggested fix:\*\*\s*(.*)$/;
const CHECKED = /^Checked \[\[([^\]|#]+)(?:#[^\]|]*)?\|Chapter (\d+)\]\]:\s*\*\*(pass|warning|fail)\*\*/m;

/**
 * The findings of a report note (frontmatter and all), parsed back from the callouts renderReportBody
 * writes. Callouts the writer added that are not findings (no `(severity)` in the title) are skipped;
 * a finding whose lines were edited keeps what can still be read.
 */
export function readReport(reportNoteText: string): ParsedReport {
  const block = findFrontmatter(reportNoteText);
  const body = (block ? reportNoteText.slice(block.bodyStart) : reportNoteText.replace(/^\uFEFF/, "")).replace(/\r\n?/g, "\n");
  const lines = body.split("\n");
  const title = lines.find((l) => /^# /.test(l))?.slice(2).trim() ?? "";
  const checked = CHECKED.exec(body);
  const findings: ReportFinding[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^>/.test(lines[i]!)) continue;
    const callout: string[] = [];
    while (i < lines.length && /^>/.test(lines[i]!)) callout.push(lines[i++]!.replace(/^>\s?/, ""));
    const finding = readCallout(callout);
    if (finding) findings.push(finding);
  }
  const summaryAt = lines.findIndex((l) => /^##\s+Summary\s*$/i.test(l));
  let summary = "";
  if (summaryAt !== -1) {
    const rest = lines.slice(summaryAt + 1);
    const end = rest.findIndex((l) => /^#{1,2} /.test(l));
    summary = (end === -1 ? rest : rest.slice(0, end)).join("\n").trim();
  }
  return {
    title,
    ...(checked ? { chapterStem: checked[1]!.trim(), chapter: Number(checked[2]), overall: checked[3] as ParsedReport["overall"] } : {}),
    findings,
    summary,
  };
}

function readCallout(lines: string[]): ReportFinding | null {
  const header = HEADER.exec(lines[0]!.trim());
  if (!header) return null;
  const severity = header[3]!.toLowerCase() as FindingSeverity;
  const category = header[2]!.trim().toLowerCase();
  const check = header[4]?.trim();
  // Paragraphs of the callout: the quote line, the reason, the earlier fact, the fix (blank `>` lines between).
  const paragraphs: string[] = [];
  let current: string[] = [];
  for (const line of lines.slice(1)) {
    if (line.trim() === "") {
      if (current.length) paragraphs.push(current.join(" ").trim());
      current = [];
    } else current.push(line.trim());
  }
  if (current.length) paragraphs.push(current.join(" ").trim());
  let quote = "";
  let where = "";
  const why: string[] = [];
  let earlierFact: ReportFinding["earlierFact"];
  let suggestedFix: string | undefined;
  paragraphs.forEach((p, index) => {
    const quoted = index === 0 ? QUOTE_LINE.exec(p) : null;
    const earlier = EARLIER.exec(p);
    const earlierBook = earlier ? null : EARLIER_BOOK.exec(p);
    const fix = FIX.exec(p);
    if (quoted) {
      quote = quoted[1]!;
      where = quoted[2]!.trim();
    } else if (earlier) earlierFact = { chapter: Number(earlier[1]), quote: earlier[2]! };
    else if (earlierBook) {
      const title = earlierBook[3]?.trim();
      earlierFact = { chapter: Number(earlierBook[2]), quote: earlierBook[4]!, book: Number(earlierBook[1]), ...(title ? { bookTitle: title } : {}) };
    }
    else if (fix) suggestedFix = fix[1]!.trim();
    else why.push(p);
  });
  const reason = why.join(" ");
  return {
    key: findingKey({ quote, why: reason }),
    severity,
    category,
    ...(check ? { check } : {}),
    quote,
    where,
    why: reason,
    ...(earlierFact ? { earlierFact } : {}),
    ...(suggestedFix ? { suggestedFix } : {}),
  };
}

// --- Finding a quote in the chapter ----------------------------------------------------------------------

/**
 * Characters a quote copied by a model (or typed by a person) may spell differently from the chapter:
 * curly and straight quotes, dashes, the ellipsis character. Zero-width characters and soft hyphens are
 * dropped. Whitespace (line breaks included) is handled separately: any run matches any run.
 */
const FOLD: Record<string, string> = {
  "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
  "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
  "\u2013": "-", "\u2014": "-", "\u2012": "-", "\u2015": "-", "\u2212": "-",
  "\u2026": "...",
  "\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "", "\u00ad": "", "\ufeff": "",
};

interface Folded {
  text: string;
  /** For each UTF-16 unit of `text`, the offset of the character of the original it came from. */
  map: number[];
}

/** The text folded for matching, with a map back to the original's offsets. */
function fold(text: string, lower: boolean): Folded {
  let out = "";
  const map: number[] = [];
  let space = -1;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (/\s/.test(ch)) {
      if (out.length > 0 && space === -1) space = i;
      continue;
    }
    let folded = FOLD[ch] ?? ch;
    if (folded === "") continue;
    if (space !== -1) {
      out += " ";
      map.push(space);
      space = -1;
    }
    if (lower) folded = folded.toLowerCase();
    out += folded;
    for (let k = 0; k < folded.length; k++) map.push(i);
  }
  return { text: out, map };
}

/**
 * Finds `quote` in a chapter's body: exactly first, then tolerant of whitespace and line breaks, curly or
 * straight quotes, dashes and `…`, then of case; a quote with `...` in the middle matches its parts in
 * order (models elide). Null when the passage is not there (the writer has changed it since the check).
 */
export function locateQuote(chapterBody: string, quote: string): QuoteLocation | null {
  const range = findRange(chapterBody, quote);
  return range ? locationOf(chapterBody, range.from, range.to) : null;
}

function findRange(body: string, quote: string): { from: number; to: number } | null {
  const wanted = quote.trim();
  if (wanted === "") return null;
  const exact = body.indexOf(wanted);
  if (exact !== -1) return { from: exact, to: exact + wanted.length };
  // Without the quote marks around it as well: a model sometimes quotes narration as if it were speech.
  const bare = wanted.replace(/^["“”'‘’]+|["“”'‘’]+$/g, "").trim();
  const candidates = bare !== wanted && bare.length > 0 ? [wanted, bare] : [wanted];
  for (const lower of [false, true]) {
    const folded = fold(body, lower);
    for (const candidate of candidates) {
      const found = findFolded(folded, fold(candidate, lower).text);
      if (found) return found;
    }
  }
  return null;
}

function findFolded(body: Folded, quote: string): { from: number; to: number } | null {
  // Leading and trailing ellipses mark a cut-off quote; inner ones mark elided text.
  const parts = quote
    .replace(/^[\s.]*\.\.\.\s*|\s*\.\.\.[\s.]*$/g, "")
    .split(/\s*\.\.\.\s*/)
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  if (parts.length === 0) return null;
  let start = -1;
  let end = -1;
  let at = 0;
  for (const [i, part] of parts.entries()) {
    const index = body.text.indexOf(part, at);
    // Elided parts must be near each other: a few paragraphs at most, not anywhere later in the chapter.
    if (index === -1 || (i > 0 && index - end > 2000)) return null;
    if (i === 0) start = index;
    end = index + part.length;
    at = end;
  }
  return { from: body.map[start]!, to: body.map[end - 1]! + 1 };
}

function locationOf(body: string, from: number, to: number): QuoteLocation {
  let line = 1;
  for (let i = body.indexOf("\n"); i !== -1 && i < from; i = body.indexOf("\n", i + 1)) line++;
  // The paragraph's last line is the first line from the passage's end on that is followed by a blank one.
  let end = body.indexOf("\n", Math.max(from, to - 1));
  while (end !== -1) {
    const next = body.indexOf("\n", end + 1);
    const nextLine = body.slice(end + 1, next === -1 ? body.length : next);
    if (nextLine.trim() === "") break;
    end = next;
  }
  const lastLineEnd = end === -1 ? body.length : end;
  const lastLine = body.slice(body.lastIndexOf("\n", lastLineEnd - 1) + 1, lastLineEnd);
  const id = /\s\^([A-Za-z0-9-]+)\s*$/.exec(lastLine)?.[1];
  return { line, from, to, ...(id ? { blockId: id } : {}) };
}

// --- Proposing a fix --------------------------------------------------------------------------------------

const Q = `["“”]`;
const PART = `${Q}([^"“”]+)${Q}`;
/** After a closing quote: the end, or punctuation and then white space. */
const CLOSED = `(?=[.,;:!?)]?(?:\\s|$))`;
/**
 * A part of the passage and its new wording: `Change "blue" to "green"`, `Replace "X" with "Y"`,
 * `"X" → "Y"`, `"X" should be "Y"`, `"Y" instead of "X"`. New wording given this way holds no quote
 * marks, so several pairs in one fix are told apart; each becomes part of one replacement.
 */
const PAIRS: { pattern: RegExp; swapped: boolean }[] = [
  { pattern: new RegExp(`\\b(?:change|replace|swap|turn|alter|amend|correct|rewrite|reword)\\s+${PART}\\s+(?:to|with|by|into|as|for)\\s*:?\\s*${PART}${CLOSED}`, "gi"), swapped: false },
  // The pairs after the first of a list: `Replace "X" with "Y" and "Z" with "W"`.
  { pattern: new RegExp(`${PART}\\s+(?:with|to|into)\\s+${PART}${CLOSED}`, "gi"), swapped: false },
  { pattern: new RegExp(`${PART}\\s*(?:→|->|=>|⇒)\\s*${PART}${CLOSED}`, "g"), swapped: false },
  { pattern: new RegExp(`${PART}\\s+(?:should\\s+(?:be|read|say)|becomes?)\\s+${PART}${CLOSED}`, "gi"), swapped: false },
  { pattern: new RegExp(`${PART}\\s+instead\\s+of\\s+${PART}${CLOSED}`, "gi"), swapped: true },
];
/**
 * `Replace it with "…"`, `Rewrite the sentence as: "…"`, or a fix that is nothing but a quotation: the
 * whole passage's new wording, which may hold dialogue and so quote marks of its own (it runs to the last
 * closing quote). A target described in words (`Change the eye colour to "green"`) is not taken, because
 * which words of the passage it means would be a guess.
 */
const WHOLE = new RegExp(
  `^(?:(?:[^"“”]*?[.;:]\\s+)?(?:replace|change|rewrite|revise|reword|amend)\\s+(?:(?:it|this|that|(?:the|this)\\s+(?:whole\\s+|entire\\s+)?(?:line|sentence|passage|quote|phrase|text|wording|paragraph))\\s+)?(?:with|to|as|into|so (?:that )?it reads)\\s*:?\\s*|\\s*)${Q}(.+)${Q}${CLOSED}`,
  "i",
);

/**
 * The finding's suggested fix as an exact edit of the chapter's body, when the model gave the new
 * wording in quotes (of parts of the passage, or of all of it) and the passage is still in the chapter.
 * Null otherwise: the writer then opens the passage and fixes it themselves.
 */
export function proposeFix(chapterBody: string, finding: Pick<ReportFinding, "quote" | "suggestedFix">): ProposedFix | null {
  const fix = finding.suggestedFix?.trim();
  if (!fix || !finding.quote.trim()) return null;
  const passage = findRange(chapterBody, finding.quote);
  if (!passage) return null;
  const text = chapterBody.slice(passage.from, passage.to);
  const pairs = pairsIn(fix);
  let from: number;
  let to: number;
  let replaced: string;
  if (pairs.length > 0) {
    // Each old part found in the passage, in order and without overlap; the edit spans first to last.
    const edits: { from: number; to: number; after: string }[] = [];
    let at = 0;
    for (const pair of pairs) {
      const found = findRange(text.slice(at), pair.old);
      if (!found) return null;
      edits.push({ from: at + found.from, to: at + found.to, after: pair.new.trim() });
      at += found.to;
    }
    from = passage.from + edits[0]!.from;
    to = passage.from + edits.at(-1)!.to;
    replaced = "";
    let cursor = edits[0]!.from;
    for (const edit of edits) {
      replaced += text.slice(cursor, edit.from) + matchQuoteStyle(text.slice(edit.from, edit.to), edit.after);
      cursor = edit.to;
    }
  } else {
    const whole = WHOLE.exec(fix)?.[1]?.trim();
    if (!whole) return null;
    from = passage.from;
    to = passage.to;
    replaced = matchQuoteStyle(text, whole);
  }
  const before = chapterBody.slice(from, to);
  if (replaced === before || replaced.trim() === "") return null;
  return { from, to, before, after: replaced, passage: { from: passage.from, text } };
}

/** The `old → new` pairs a fix names, in the order it names them, overlapping matches dropped. */
function pairsIn(fix: string): { old: string; new: string; index: number }[] {
  const found: { old: string; new: string; index: number; end: number }[] = [];
  for (const { pattern, swapped } of PAIRS) {
    for (const m of fix.matchAll(pattern)) {
      const [first, second] = [m[1]!, m[2]!];
      found.push({ old: swapped ? second : first, new: swapped ? first : second, index: m.index, end: m.index + m[0].length });
    }
  }
  found.sort((a, b) => a.index - b.index);
  const kept: typeof found = [];
  for (const f of found) if (!kept.length || f.index >= kept.at(-1)!.end) kept.push(f);
  return kept;
}

/**
 * The fix applied to the chapter's body as it is now: at its place when the quoted passage is still
 * there exactly, else wherever the passage now is if it occurs exactly once (the writer added text above
 * it). Null when the passage is gone, changed or now ambiguous, so nothing rewritten since is touched.
 */
export function applyFix(chapterBody: string, fix: ProposedFix): string | null {
  const { text } = fix.passage;
  let start = fix.passage.from;
  if (chapterBody.slice(start, start + text.length) !== text) {
    start = chapterBody.indexOf(text);
    if (start === -1 || chapterBody.indexOf(text, start + 1) !== -1) return null;
  }
  const from = start + (fix.from - fix.passage.from);
  if (chapterBody.slice(from, from + fix.before.length) !== fix.before) return null;
  return chapterBody.slice(0, from) + fix.after + chapterBody.slice(from + fix.before.length);
}

/** The replacement in the chapter's typography: curly quotes where the passage has them, straight where it has those. */
function matchQuoteStyle(before: string, after: string): string {
  let out = after;
  if (/[“”]/.test(before) && !before.includes('"')) out = out.replace(/"/g, (_m, at: number) => (opens(out, at) ? "“" : "”"));
  else if (before.includes('"') && !/[“”]/.test(before)) out = out.replace(/[“”]/g, '"');
  if (/[‘’]/.test(before) && !before.includes("'")) out = out.replace(/'/g, (_m, at: number) => (opens(out, at) ? "‘" : "’"));
  else if (before.includes("'") && !/[‘’]/.test(before)) out = out.replace(/[‘’]/g, "'");
  return out;
}

/** A quote mark opens at the start or after white space or an opening bracket or dash. */
function opens(text: string, at: number): boolean {
  return at === 0 || /[\s([{\u2014\u2013-]/.test(text[at - 1]!);
}

// --- Word diff --------------------------------------------------------------------------------------------

const TOKEN = /\s+|[\p{L}\p{M}\p{N}]+(?:['’][\p{L}\p{M}\p{N}]+)*|[^\s\p{L}\p{M}\p{N}]/gu;
/** Above this many token pairs the diff gives up on alignment and shows all removed, all added. */
const MAX_CELLS = 4_000_000;

/**
 * A word-level diff: the tokens of `before` and `after` (words, white space, punctuation) marked same,
 * removed or added, adjacent tokens of a kind merged, and in each changed stretch the removed text
 * before the added. The same and removed texts concatenate to `before`; the same and added to `after`.
 */
export function wordDiff(before: string, after: string): DiffToken[] {
  const a = before.match(TOKEN) ?? [];
  const b = after.match(TOKEN) ?? [];
  const ops: DiffToken[] = [];
  if (a.length * b.length > MAX_CELLS) {
    ops.push({ kind: "removed", text: before }, { kind: "added", text: after });
  } else {
    // lcs[i * (m + 1) + j]: the longest common subsequence of a[i..] and b[j..].
    const m = b.length;
    const lcs = new Uint32Array((a.length + 1) * (m + 1));
    for (let i = a.length - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i * (m + 1) + j] = a[i] === b[j] ? lcs[(i + 1) * (m + 1) + j + 1]! + 1 : Math.max(lcs[(i + 1) * (m + 1) + j]!, lcs[i * (m + 1) + j + 1]!);
      }
    }
    let i = 0;
    let j = 0;
    while (i < a.length || j < m) {
      if (i < a.length && j < m && a[i] === b[j]) {
        ops.push({ kind: "same", text: a[i++]! });
        j++;
      } else if (j >= m || (i < a.length && lcs[(i + 1) * (m + 1) + j]! >= lcs[i * (m + 1) + j + 1]!)) {
        ops.push({ kind: "removed", text: a[i++]! });
      } else {
        ops.push({ kind: "added", text: b[j++]! });
      }
    }
  }
  // Each stretch between same tokens becomes one removed run then one added run.
  const out: DiffToken[] = [];
  let removed = "";
  let added = "";
  const flush = () => {
    if (removed) out.push({ kind: "removed", text: removed });
    if (added) out.push({ kind: "added", text: added });
    removed = "";
    added = "";
  };
  ops.forEach((op, i) => {
    const between = (removed || added) && ops[i + 1] !== undefined && ops[i + 1]!.kind !== "same";
    if (op.kind === "removed") removed += op.text;
    else if (op.kind === "added") added += op.text;
    else if (between && op.text.trim() === "") {
      // A lone space between two changed words reads as part of one changed phrase, not as kept text.
      removed += op.text;
      added += op.text;
    } else {
      flush();
      const last = out.at(-1);
      if (last?.kind === "same") last.text += op.text;
      else out.push({ kind: "same", text: op.text });
    }
  });
  flush();
  return out.filter((t) => t.text !== "");
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, " ").trim();
}
