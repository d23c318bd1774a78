/**
 * The notes the agents' results become (DESIGN.md §2): a brief the writer can edit and the Writer reads
 * back, a continuity report with a callout per finding, the timeline grouped by chapter, and the keys
 * Bookwright owns on character notes. Rendering and reading back live side by side so the two cannot
 * drift apart; everything here is pure text in, text out.
 */
import type { Finding as CheckFinding } from "../checks/types";
import type { CodexFact, FactKind } from "../agents/codex";
import type { Brief, CharactersExtraction, ContinuityReport, TimelineExtraction } from "../agents/schemas";

/** Thrown when a brief note cannot be read back: names the note, the part and what was expected. */
export class BookNoteError extends Error {
  constructor(
    readonly path: string,
    readonly field: string,
    expected: string,
  ) {
    super(`${path}: ${field} — ${expected}`);
    this.name = "BookNoteError";
  }
}

/** `[[stem|Chapter 3]]`: links by file name, as Obsidian resolves them. */
export function chapterLink(chapterPath: string, chapter: number, heading?: string): string {
  const stem = (chapterPath.split("/").pop() ?? chapterPath).replace(/\.md$/i, "");
  return `[[${stem}${heading ? `#${heading}` : ""}|Chapter ${chapter}]]`;
}

// --- Briefs -------------------------------------------------------------------------------------------

const FIELD_LABELS = { goal: "Goal", pov: "POV", setting: "Setting", characters: "Characters", targetWords: "Target words" } as const;

/**
 * The brief as Markdown a writer reads and edits: labelled lines, the beats as a numbered list, the ending
 * hook as its own section. {@link parseBriefBody} reads it back, edits included.
 */
export function renderBriefBody(chapter: number, brief: Brief): string {
  const lines = [
    `# Brief for chapter ${chapter}${brief.title ? `: ${brief.title}` : ""}`,
    "",
    `**${FIELD_LABELS.goal}:** ${oneLine(brief.goal)}`,
    `**${FIELD_LABELS.pov}:** ${oneLine(brief.pov)}`,
    `**${FIELD_LABELS.setting}:** ${oneLine(brief.setting)}`,
    `**${FIELD_LABELS.characters}:** ${brief.charactersPresent.map(oneLine).join(", ")}`,
    `**${FIELD_LABELS.targetWords}:** ${brief.targetWords}`,
    "",
    "## Beats",
    "",
  ];
  brief.beats.forEach((beat, i) => {
    lines.push(`${i + 1}. ${oneLine(beat.summary)}`);
    if (beat.characters.length) lines.push(`    - Characters: ${beat.characters.map(oneLine).join(", ")}`);
    if (beat.factsChanged.length) lines.push(`    - Facts changed: ${beat.factsChanged.map((f) => oneLine(f).replace(/;/g, ",")).join("; ")}`);
  });
  lines.push("", "## Ending hook", "", oneLine(brief.endingHook), "");
  return lines.join("\n");
}

/** Reads a brief note's body back into a brief. Throws {@link BookNoteError} naming what is missing. */
export function parseBriefBody(path: string, body: string): Brief {
  const text = body.replace(/\r\n/g, "\n");
  const field = (label: string): string | undefined => {
    const match = new RegExp(`^\\*\\*${label}:\\*\\*[ \\t]*(.*)$`, "m").exec(text);
    return match?.[1]?.trim();
  };
  const need = (label: string): string => {
    const value = field(label);
    if (!value) throw new BookNoteError(path, label, `expected a line "**${label}:** …" with text after it`);
    return value;
  };
  const title = /^#\s+Brief for chapter \d+:\s*(.+)$/m.exec(text)?.[1]?.trim();
  const target = Number(need(FIELD_LABELS.targetWords).replace(/[,\s]/g, ""));
  if (!Number.isInteger(target) || target <= 0) {
    throw new BookNoteError(path, FIELD_LABELS.targetWords, `expected a whole number of words, got "${field(FIELD_LABELS.targetWords)}"`);
  }
  const beatsSection = section(text, "Beats");
  if (beatsSection === undefined) throw new BookNoteError(path, "Beats", 'expected a "## Beats" section with a numbered list');
  const beats: Brief["beats"] = [];
  for (const line of beatsSection.split("\n")) {
    const item = /^\d+[.)]\s+(.+)$/.exec(line);
    if (item) {
      beats.push({ summary: item[1]!.trim(), characters: [], factsChanged: [] });
      continue;
    }
    const sub = /^\s+[-*]\s+(Characters|Facts changed):\s*(.*)$/.exec(line);
    const beat = beats.at(-1);
    if (sub && beat) {
      if (sub[1] === "Characters") beat.characters = splitList(sub[2]!, ",");
      else beat.factsChanged = splitList(sub[2]!, ";");
    }
  }
  if (beats.length === 0) throw new BookNoteError(path, "Beats", "expected at least one numbered beat (\"1. …\")");
  const hook = section(text, "Ending hook")?.trim();
  if (!hook) throw new BookNoteError(path, "Ending hook", 'expected a "## Ending hook" section with text');
  return {
    ...(title ? { title } : {}),
    goal: need(FIELD_LABELS.goal),
    pov: need(FIELD_LABELS.pov),
    setting: need(FIELD_LABELS.setting),
    charactersPresent: splitList(field(FIELD_LABELS.characters) ?? "", ","),
    beats,
    endingHook: hook,
    targetWords: target,
  };
}

// --- Continuity reports ---------------------------------------------------------------------------------

const CALLOUT: Record<string, string> = { error: "danger", warning: "warning", info: "info" };

/**
 * A report note's body: the overall result, then a callout per finding (the model's, then the checks that
 * need no model) with the quote, where it is, why it conflicts, the earlier fact and the suggested fix.
 */
export function renderReportBody(chapter: number, chapterPath: string, report: ContinuityReport, checks: CheckFinding[], title = `Continuity of chapter ${chapter}`): string {
  const link = chapterLink(chapterPath, chapter);
  const lines = [`# ${title}`, "", `Checked ${link}: **${report.overall}**, ${count(report.findings.length + checks.length, "finding")}.`, ""];
  for (const f of report.findings) {
    lines.push(`> [!${CALLOUT[f.severity] ?? "note"}] ${capitalise(f.category)} (${f.severity})`);
    lines.push(`> "${oneLine(f.quote)}" — ${oneLine(f.where)}`, ">", `> ${oneLine(f.why)}`);
    if (f.earlierFact) lines.push(">", `> ${earlierFactLine(f.earlierFact)}`);
    if (f.suggestedFix) lines.push(">", `> **Suggested fix:** ${oneLine(f.suggestedFix)}`);
    lines.push("");
  }
  for (const f of checks) {
    lines.push(`> [!${CALLOUT[f.severity] ?? "note"}] ${capitalise(f.category)} (${f.severity}, ${f.check})`);
    lines.push(`> "${oneLine(f.quote)}" — line ${f.where.line}`, ">", `> ${oneLine(f.why)}`);
    if (f.suggestedFix) lines.push(">", `> **Suggested fix:** ${oneLine(f.suggestedFix)}`);
    lines.push("");
  }
  lines.push("## Summary", "", report.summary.trim(), "");
  return lines.join("\n");
}

/**
 * The finding's earlier fact as the report shows it: `Earlier, in chapter 12: "…"` for this book (as
 * reports always read), `Contradicts book 1, chapter 12 (First Impressions): "…"` for an earlier book of
 * the series, whose chapter 12 is not this book's. report-model.ts reads both back.
 */
export function earlierFactLine(fact: NonNullable<ContinuityReport["findings"][number]["earlierFact"]>): string {
  const quote = `"${oneLine(fact.quote)}"`;
  if (fact.book === undefined) return `Earlier, in chapter ${fact.chapter}: ${quote}`;
  const title = fact.bookTitle?.trim() ? ` (${oneLine(fact.bookTitle).replace(/[()]/g, "")})` : "";
  return `Contradicts book ${fact.book}, chapter ${fact.chapter}${title}: ${quote}`;
}

/** The worse of the model's verdict and what the model-free checks found. */
export function overallWith(report: ContinuityReport, checks: CheckFinding[]): ContinuityReport["overall"] {
  if (report.overall === "fail" || checks.some((f) => f.severity === "error")) return "fail";
  if (report.overall === "warning" || checks.some((f) => f.severity === "warning")) return "warning";
  return "pass";
}

// --- Timeline -----------------------------------------------------------------------------------------

const TIMELINE_HEADING = /^## .*\[\[[^\]|]+\|Chapter (\d+)\]\][ \t]*$/;

/** The heading of a chapter's section in `Timeline.md`; the chapter is read back from the link's text. */
function timelineHeading(chapter: number, chapterPath: string): string {
  return `## ${chapterLink(chapterPath, chapter)}`;
}

/**
 * `Timeline.md`'s body with chapter `chapter`'s section replaced by `events` (inserted in chapter order
 * when new). Text before the first chapter section and sections the writer added are kept as they are,
 * so applying the same chapter twice gives the same note.
 */
export function withTimelineSection(body: string, chapter: number, chapterPath: string, events: TimelineExtraction["events"]): string {
  const eol = body.includes("\r\n") ? "\r\n" : "\n";
  const lines = body.replace(/\r\n/g, "\n").split("\n");
  const sorted = [...events].sort((a, b) => a.order - b.order);
  const fresh = [timelineHeading(chapter, chapterPath), "", ...sorted.map((e) => `- **${oneLine(e.when)}** — ${oneLine(e.what)}${e.who.length ? ` (${e.who.map(oneLine).join(", ")})` : ""}`), ""];
  const sections = chapterSections(lines);
  const own = sections.find((s) => s.chapter === chapter);
  let out: string[];
  if (own) {
    out = [...lines.slice(0, own.start), ...fresh, ...lines.slice(own.end)];
  } else {
    const after = sections.find((s) => s.chapter > chapter);
    const at = after ? after.start : lines.length;
    const head = lines.slice(0, at);
    // One blank line between what was there and the new section.
    while (head.length > 0 && head.at(-1) === "") head.pop();
    out = [...head, ...(head.length ? [""] : []), ...fresh, ...lines.slice(at)];
  }
  while (out.length > 1 && out.at(-1) === "" && out.at(-2) === "") out.pop();
  return out.join(eol);
}

/** The timeline as far as the story has got before `chapter`: the sections of earlier chapters. */
export function timelineBefore(body: string, chapter: number): string {
  const lines = body.replace(/\r\n/g, "\n").split("\n");
  const sections = chapterSections(lines);
  // The writer's own entries above the chapter sections come first: they are what the book began with.
  const preamble = lines
    .slice(0, sections[0]?.start ?? lines.length)
    .filter((l) => /^\s*[-*]\s+\S/.test(l))
    .map((l) => l.replace(/^\s*[-*]\s+/, "").replace(/\*\*/g, ""));
  const own = sections
    .filter((s) => s.chapter < chapter)
    .map((s) => {
      const events = lines.slice(s.start + 1, s.end).filter((l) => l.trim() !== "");
      return events.map((e) => `${e.replace(/^[-*]\s+/, "").replace(/\*\*/g, "")} [chapter ${s.chapter}]`).join("\n");
    })
    .filter(Boolean);
  return [...preamble, ...own].join("\n");
}

function chapterSections(lines: string[]): { chapter: number; start: number; end: number }[] {
  const starts: { chapter: number; start: number }[] = [];
  lines.forEach((line, i) => {
    const match = TIMELINE_HEADING.exec(line);
    if (match) starts.push({ chapter: Number(match[1]), start: i });
  });
  return starts.map((s, i) => {
    // A section ends at the next heading of level 1 or 2.
    let end = i + 1 < starts.length ? starts[i + 1]!.start : lines.length;
    for (let j = s.start + 1; j < end; j++) {
      if (/^#{1,2} /.test(lines[j]!)) {
        end = j;
        break;
      }
    }
    return { ...s, end };
  });
}

// --- Characters ----------------------------------------------------------------------------------------

/** One entry of a character note's `changes` key: what became true, and in which chapter. */
export interface StoredChange {
  /** In a series-wide note: the book the chapter belongs to (chapter numbers restart in every book). */
  book?: string;
  chapter: number;
  kind: FactKind;
  value: string;
}

/** One entry of a character note's `appearances` key. */
export interface StoredAppearance {
  /** In a series-wide note: the book the chapter belongs to. */
  book?: string;
  chapter: number;
  role: string;
  state: string;
}

const FACT_KINDS: readonly FactKind[] = ["trait", "arc", "status", "location", "knowledge"];

/** The `changes` key read leniently: entries that are not `{chapter, kind, value}` are skipped. */
export function readChanges(value: unknown): StoredChange[] {
  if (!Array.isArray(value)) return [];
  const out: StoredChange[] = [];
  for (const item of value) {
    if (typeof item !== "object" || item === null) continue;
    const { book, chapter, kind, value: v } = item as Record<string, unknown>;
    if (typeof chapter === "number" && typeof kind === "string" && FACT_KINDS.includes(kind as FactKind) && typeof v === "string") {
      // The book tag is kept: a rewrite of a series-wide note must not forget which book an entry is from.
      out.push({ ...(typeof book === "string" ? { book } : {}), chapter, kind: kind as FactKind, value: v });
    }
  }
  return out;
}

function readAppearances(value: unknown): StoredAppearance[] {
  if (!Array.isArray(value)) return [];
  return value.filter((a): a is StoredAppearance => typeof a === "object" && a !== null && typeof (a as StoredAppearance).chapter === "number");
}

/**
 * The book being worked on, for a series-wide character note whose entries say which book they are
 * from (`book: <title>`): which entries are this book's, which come from earlier books, which from later.
 */
export interface SeriesScope {
  /** This book's 1-based place in the series. */
  position: number;
  /** What this book's new entries are tagged with: its title, as promoting a character tags them. */
  title: string;
  /** The series book an entry's `book` names (by title, folder or index note), or null when none. */
  bookOf(tag: string): { position: number; title: string } | null;
}

/**
 * How many of each kind of list fact (traits, arc, knowledge) earlier books contribute per character, the
 * latest kept: the state at the end of the last book, not the whole history, so a long series does not
 * grow every sheet. Status and whereabouts are one value each anyway.
 */
export const EARLIER_FACTS_PER_KIND = 6;

/**
 * Codex facts from a character note: Bookwright's `changes`, plus the writer's own `status` as known
 * from the start. With `scope` (a series-wide note read for one book of the series), the facts are the
 * codex as of the end of the book before: entries of earlier books become known from the start, labelled
 * with where they were established; this book's entries keep their chapters; entries of later books, or
 * naming no book of the series, are left out; entries without `book` count as known from the start.
 */
export function factsOf(meta: Record<string, unknown>, scope?: SeriesScope): CodexFact[] {
  const changes = readChanges(meta.changes);
  const facts: CodexFact[] = scope ? scopedFacts(changes, scope) : changes.map((c) => ({ kind: c.kind, value: c.value, chapter: c.chapter }));
  // In a series note `status` is whatever the latest book made it, so it stands in only when no book recorded one.
  const recorded = scope ? changes.some((c) => c.kind === "status") : facts.some((f) => f.kind === "status");
  if (typeof meta.status === "string" && meta.status.trim() && !recorded) {
    facts.push({ kind: "status", value: meta.status.trim(), chapter: 0 });
  }
  return facts;
}

function scopedFacts(changes: StoredChange[], scope: SeriesScope): CodexFact[] {
  const untagged: CodexFact[] = [];
  const earlier: (CodexFact & { from: NonNullable<CodexFact["from"]> })[] = [];
  const own: CodexFact[] = [];
  for (const c of changes) {
    if (c.book === undefined) {
      untagged.push({ kind: c.kind, value: c.value, chapter: 0 });
      continue;
    }
    const book = scope.bookOf(c.book);
    if (book === null || book.position > scope.position) continue;
    if (book.position === scope.position) own.push({ kind: c.kind, value: c.value, chapter: c.chapter });
    else earlier.push({ kind: c.kind, value: c.value, chapter: 0, from: { book: book.position, title: book.title, chapter: c.chapter } });
  }
  // Series order, then chapter: all are chapter 0 here, and the codex lets the last of a kind win.
  earlier.sort((a, b) => a.from.book - b.from.book || a.from.chapter - b.from.chapter);
  const kept = earlier.filter((fact, i) => {
    const later = earlier.slice(i + 1).filter((f) => f.kind === fact.kind).length;
    return fact.kind === "status" || fact.kind === "location" ? later === 0 : later < EARLIER_FACTS_PER_KIND;
  });
  return [...untagged, ...kept, ...own];
}

/**
 * The keys to set on one character's note after chapter `chapter`: that chapter's entries in `changes`
 * and `appearances` replaced (so applying twice changes nothing), `status` when the latest status change
 * is this chapter's, and new relationships added. Returns only keys whose value changes.
 */
export function characterKeyUpdates(
  meta: Record<string, unknown>,
  names: string[],
  extraction: CharactersExtraction,
  chapter: number,
  linkFor: (name: string) => string,
  scope?: SeriesScope,
): Record<string, unknown> {
  const mine = (name: string) => names.some((n) => n.toLowerCase() === name.trim().toLowerCase());
  const updates: Record<string, unknown> = {};
  // A series-wide note holds every book's entries, and chapter 3 of book 1 is not chapter 3 of book 2:
  // only this book's entries are this book's to replace, and the new ones say which book they are from.
  const thisBook = (entry: { book?: string }) => (scope ? entry.book !== undefined && scope.bookOf(entry.book)?.position === scope.position : true);
  const tag = scope ? { book: scope.title } : {};

  const oldChanges = readChanges(meta.changes);
  const changes = withChapterEntries(
    oldChanges,
    extraction.changes.filter((c) => mine(c.name)).map((c) => ({ ...tag, chapter, kind: c.kind, value: c.value })),
    chapter,
    thisBook,
    scope !== undefined,
  );
  if (JSON.stringify(changes) !== JSON.stringify(oldChanges)) updates.changes = changes;

  const oldAppearances = readAppearances(meta.appearances);
  const appearances = withChapterEntries(
    oldAppearances,
    extraction.appearances.filter((a) => mine(a.name)).map((a) => ({ ...tag, chapter, role: a.role, state: a.emotionalState })),
    chapter,
    thisBook,
    scope !== undefined,
  );
  if (JSON.stringify(appearances) !== JSON.stringify(oldAppearances)) updates.appearances = appearances;

  // `status` is the character's status now; a later book's status change has the last word in a series note.
  const laterStatus = scope !== undefined && changes.some((c) => c.kind === "status" && c.book !== undefined && (scope.bookOf(c.book)?.position ?? 0) > scope.position);
  const latestStatus = changes.filter((c) => c.kind === "status" && thisBook(c)).sort((a, b) => a.chapter - b.chapter).at(-1);
  if (latestStatus && !laterStatus && latestStatus.chapter === chapter && meta.status !== latestStatus.value) updates.status = latestStatus.value;

  const relationships = Array.isArray(meta.relationships) ? [...(meta.relationships as unknown[])] : [];
  let added = false;
  for (const r of extraction.relationships) {
    if (!mine(r.from)) continue;
    const link = linkFor(r.to);
    const exists = relationships.some((x) => typeof x === "object" && x !== null && (x as { with?: unknown }).with === link && (x as { kind?: unknown }).kind === r.kind);
    if (!exists) {
      relationships.push({ with: link, kind: r.kind });
      added = true;
    }
  }
  if (added) updates.relationships = relationships;
  return updates;
}

/**
 * `old` with this chapter's entries replaced by `fresh`. A book's own note is kept in chapter order. A
 * series note keeps every other entry where it is (other books' entries are never moved or touched) and
 * puts the new ones where the chapter's old ones were, else among this book's in chapter order; a book
 * with no entries yet goes at the end.
 */
function withChapterEntries<T extends { chapter: number }>(old: T[], fresh: T[], chapter: number, thisBook: (entry: T) => boolean, series: boolean): T[] {
  const replaced = (e: T) => thisBook(e) && e.chapter === chapter;
  const kept = old.filter((e) => !replaced(e));
  if (!series) return [...kept, ...fresh].sort((a, b) => a.chapter - b.chapter);
  // Where the chapter's old entries were, else after this book's earlier chapters, else before its later ones.
  const first = old.findIndex(replaced);
  let at = first === -1 ? -1 : old.slice(0, first).filter((e) => !replaced(e)).length;
  if (at === -1) {
    kept.forEach((e, i) => {
      if (thisBook(e) && e.chapter < chapter) at = i + 1;
    });
  }
  if (at === -1) {
    const later = kept.findIndex((e) => thisBook(e) && e.chapter > chapter);
    at = later === -1 ? kept.length : later;
  }
  return [...kept.slice(0, at), ...fresh, ...kept.slice(at)];
}

// --- Helpers ------------------------------------------------------------------------------------------

/** The text of a `## name` section, up to the next heading of level 1 or 2. */
function section(text: string, name: string): string | undefined {
  const lines = text.split("\n");
  const start = lines.findIndex((l) => new RegExp(`^##\\s+${name}\\s*$`, "i").test(l));
  if (start === -1) return undefined;
  let end = lines.length;
  for (let i = start + 1; i < lines.length; i++) {
    if (/^#{1,2} /.test(lines[i]!)) {
      end = i;
      break;
    }
  }
  return lines.slice(start + 1, end).join("\n");
}

function splitList(text: string, separator: string): string[] {
  return text.split(separator).map((s) => s.trim()).filter(Boolean);
}

/** Model text on one line, so it cannot break the note's structure. */
function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, " ").trim();
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function count(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
