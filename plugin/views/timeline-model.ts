/**
 * The timeline note read as events, in chapter order and in story order, with the places it contradicts
 * itself. `Timeline.md` holds a `## [[stem|Chapter N]]` section per chapter (book-notes.ts writes them)
 * with lines `- **when** — what (who, who)`; lines the writer put above the first section are the story's
 * start (chapter 0 here).
 *
 * Story time is what the Timeline agent wrote in `when`, in words: "1 November 1893", "Day 3, evening",
 * "Late October", "the next morning". Whatever can be placed on a scale is ranked — calendar dates on one,
 * "Day N" on another, relative phrases from the event before them — and the rest keeps its place in
 * chapter order. Pure: no Obsidian, no vault.
 */
import { findFrontmatter } from "../../shared/book/frontmatter";

export interface StoryTime {
  /** Calendar days (since 1970-01-01, negative before) or the story's own "Day N" count. */
  scale: "date" | "day";
  /** Start and end in days on that scale, end exclusive: "1 November 1893" is one whole day. */
  start: number;
  end: number;
  /** The time of day is known (morning, 10 pm), not only the day or something coarser. */
  precise: boolean;
  /** A year taken from an earlier event ("Late October" after "1 November 1893"). */
  inferred?: boolean;
  /** Worked out from the event before ("the next morning"), not stated. */
  derived?: boolean;
}

export interface TimelineEvent {
  /** Position in chapter order, from 0: the event's identity in this timeline. */
  id: number;
  /** 0 for the writer's lines above the first chapter section. */
  chapter: number;
  /** The chapter note's file name, from the section's link. */
  chapterStem?: string;
  when: string;
  what: string;
  who: string[];
  /** `when` or `what` says it is a flashback, a memory, something long ago. */
  flashback: boolean;
  time: StoryTime | null;
  /** Where it happens, when `what` says so plainly ("at the lighthouse"); lower case. */
  place: string | null;
}

export interface Contradiction {
  kind: "backwards" | "two-places";
  /** The event flagged (the later one in chapter order) and the one it contradicts. */
  event: number;
  other: number;
  reason: string;
}

export interface Timeline {
  /** In chapter order. */
  events: TimelineEvent[];
  storyOrder: TimelineEvent[];
  contradictions: Contradiction[];
}

/** The whole analysis of a timeline note (frontmatter and all). */
export function buildTimeline(noteText: string): Timeline {
  const events = parseTimeline(noteText);
  return { events, storyOrder: storyOrder(events), contradictions: findContradictions(events) };
}

// --- Reading the note ---------------------------------------------------------------------------------------

const SECTION = /^##\s.*\[\[([^\]|#]+)(?:#[^\]|]*)?\|Chapter (\d+)\]\]\s*$/;
const ITEM = /^\s*[-*+]\s+(.*\S)\s*$/;
const BOLD_WHEN = /^\*\*(.+?)\*\*\s*(?:—|–|:|-)?\s*(.*)$/;
const PLAIN_WHEN = /^(.+?)\s+(?:—|–)\s+(.*)$/;

/** The events of a timeline note in chapter order, each with its story time worked out where possible. */
export function parseTimeline(noteText: string): TimelineEvent[] {
  const block = findFrontmatter(noteText);
  const body = (block ? noteText.slice(block.bodyStart) : noteText.replace(/^\uFEFF/, "")).replace(/\r\n?/g, "\n");
  const raw: Omit<TimelineEvent, "id" | "flashback" | "time" | "place">[] = [];
  let chapter = 0;
  let stem: string | undefined;
  let inSection = false;
  for (const line of body.split("\n")) {
    const heading = SECTION.exec(line);
    if (heading) {
      chapter = Number(heading[2]);
      stem = heading[1]!.trim();
      inSection = true;
      continue;
    }
    if (/^#{1,2}\s/.test(line)) {
      // Another top-level heading ends a chapter's section; text under it is not the timeline's.
      if (inSection) chapter = -1;
      continue;
    }
    if (chapter < 0) continue;
    const item = ITEM.exec(line);
    if (!item) continue;
    const entry = item[1]!;
    const bold = BOLD_WHEN.exec(entry);
    const plain = bold ? null : PLAIN_WHEN.exec(entry);
    const when = (bold?.[1] ?? plain?.[1] ?? "").trim();
    let what = (bold?.[2] ?? plain?.[2] ?? entry).trim();
    let who: string[] = [];
    // Bookwright writes who was there as a trailing "(A, B)"; the writer's own lines may hold links there.
    const people = inSection ? /\s*\(([^()]*)\)\s*$/.exec(what) : null;
    if (people && !people[1]!.includes("[[") && people[1]!.trim() !== "") {
      who = people[1]!.split(",").map((s) => s.trim()).filter(Boolean);
      what = what.slice(0, people.index).trim();
    }
    raw.push({ chapter, ...(stem !== undefined && inSection ? { chapterStem: stem } : {}), when, what, who });
  }
  // Chapter order: by chapter, then as listed (the agent lists a chapter's events in story order).
  const ordered = raw.map((e, i) => ({ e, i })).sort((a, b) => a.e.chapter - b.e.chapter || a.i - b.i).map((x) => x.e);
  const events: TimelineEvent[] = [];
  let previous: StoryTime | null = null;
  let year: number | null = null;
  for (const [id, e] of ordered.entries()) {
    const flashback = isFlashback(`${e.when} ${e.what}`);
    const parsed = parseWhen(e.when, { previous, year });
    // A flashback's date is not where the story is: it neither anchors what follows nor gives its year.
    if (parsed && !flashback) {
      previous = parsed.time;
      if (parsed.year !== null) year = parsed.year;
    }
    events.push({ id, ...e, flashback, time: parsed?.time ?? null, place: placeOf(e.what) });
  }
  return events;
}

// --- Story time ---------------------------------------------------------------------------------------------

const MONTHS: Record<string, number> = {
  january: 0, february: 1, march: 2, april: 3, may: 4, june: 5, july: 6, august: 7, september: 8, october: 9, november: 10, december: 11,
  jan: 0, feb: 1, mar: 2, apr: 3, jun: 5, jul: 6, aug: 7, sep: 8, sept: 8, oct: 9, nov: 10, dec: 11,
};
const FULL_MONTH = "(january|february|march|april|may|june|july|august|september|october|november|december)";
/** Abbreviations only next to a number: "Jan" alone is as likely a name. */
const ANY_MONTH = "(january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\\.?";
const ORDINAL = "(?:st|nd|rd|th)?";
const YEAR = "(\\d{3,4})";

/** Times of day as a fraction of the day, and how long each lasts. */
const TIMES_OF_DAY: [RegExp, number][] = [
  [/\bmidnight\b/, 0.97],
  [/\b(?:dawn|daybreak|sunrise|first light)\b/, 0.22],
  [/\bearly morning\b/, 0.25],
  [/\bmorning\b/, 0.33],
  [/\b(?:noon|midday)\b/, 0.5],
  [/\bafternoon\b/, 0.6],
  [/\b(?:dusk|sunset|twilight|nightfall)\b/, 0.72],
  [/\bevening\b/, 0.77],
  [/\blate (?:at )?night\b/, 0.92],
  [/\bnight\b/, 0.87],
];
const TIME_SPAN = 0.08;

const NUMBERS: Record<string, number> = { a: 1, an: 1, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, eleven: 11, twelve: 12, a_few: 3, several: 3 };

export interface WhenContext {
  /** The story time of the event before (in chapter order, flashbacks skipped), for relative phrases. */
  previous?: StoryTime | null;
  /** The year of the last dated event, for dates without one. */
  year?: number | null;
}

/**
 * Places a `when` on a scale: calendar dates (with or without a day, a part of the month, a season, a
 * year; the year inherited from the context when missing), "Day N" / "Week N", and phrases relative to
 * the event before ("the next morning", "three days later", "that night"). Null when nothing can be
 * placed ("Monday", "the night of the storm").
 */
export function parseWhen(when: string, context: WhenContext = {}): { time: StoryTime; year: number | null } | null {
  const w = when.toLowerCase().replace(/\s+/g, " ").trim();
  if (!w) return null;
  const tod = timeOfDay(w);
  const withTime = (day: number, whole: number): { start: number; end: number; precise: boolean } =>
    tod === null ? { start: day, end: day + whole, precise: false } : { start: day + tod.at, end: day + tod.at + tod.span, precise: true };

  // A calendar date without a year takes the year of the dated event before it, or the next year when
  // that is where the story goes on (30 December, then 2 January), and it is marked inferred.
  const dated = (stated: number | null, span: (year: number) => { start: number; end: number; precise: boolean }): { time: StoryTime; year: number } | null => {
    if (stated !== null) return { time: { scale: "date", ...span(stated) }, year: stated };
    const year = context.year ?? null;
    if (year === null) return null;
    const previous = context.previous;
    let chosen = year;
    if (previous?.scale === "date" && span(year).end <= previous.start && span(year + 1).start - previous.start < 183) chosen = year + 1;
    return { time: { scale: "date", ...span(chosen), inferred: true }, year: chosen };
  };

  // Calendar dates with a day.
  const iso = /\b(\d{4})-(\d{1,2})-(\d{1,2})\b/.exec(w);
  const dayMonth = new RegExp(`\\b(\\d{1,2})${ORDINAL}\\s+(?:of\\s+)?${ANY_MONTH}(?:,?\\s+${YEAR}(?!\\d))?`).exec(w);
  const monthDay = new RegExp(`\\b${ANY_MONTH}\\s+(\\d{1,2})${ORDINAL}(?!\\d)(?:,?\\s+${YEAR}(?!\\d))?`).exec(w);
  if (iso || dayMonth || monthDay) {
    const [y, m, d] = iso
      ? [Number(iso[1]), Number(iso[2]) - 1, Number(iso[3])]
      : dayMonth
        ? [dayMonth[3] ? Number(dayMonth[3]) : null, MONTHS[dayMonth[2]!]!, Number(dayMonth[1])]
        : [monthDay![3] ? Number(monthDay![3]) : null, MONTHS[monthDay![1]!]!, Number(monthDay![2])];
    if (d < 1 || d > 31 || m < 0 || m > 11) return null;
    return dated(y, (year) => withTime(dayNumber(year, m, d), 1));
  }

  // The story's own count of days.
  const day = /\b(?:day|night)\s+(\d+)\b/.exec(w);
  if (day) {
    const n = Number(day[1]);
    const night = /\bnight\s+\d/.test(w) && tod === null;
    const time = night ? { start: n + 0.87, end: n + 0.87 + TIME_SPAN, precise: true } : withTime(n, 1);
    return { time: { scale: "day", ...time }, year: null };
  }
  const week = /\bweek\s+(\d+)\b/.exec(w);
  if (week) {
    const n = Number(week[1]);
    return { time: { scale: "day", start: 7 * (n - 1) + 1, end: 7 * n + 1, precise: false }, year: null };
  }

  // Coarser calendar times: a month (or a part of it), a season, a year.
  const month = new RegExp(`\\b(?:(early|beginning of|start of|mid|middle of|late|end of|the end of)[\\s-]*)?${FULL_MONTH}(?:,?\\s+(?:of\\s+)?${YEAR}(?!\\d))?`).exec(w);
  // "may" is a month only when written May: in lower case it is the verb.
  if (month && !(month[2] === "may" && !/\bMay\b/.test(when))) {
    const m = MONTHS[month[2]!]!;
    const part = partOf(month[1]);
    return dated(month[3] ? Number(month[3]) : null, (year) => {
      const first = dayNumber(year, m, 1);
      const length = dayNumber(year, m + 1, 1) - first;
      const [start, end] = part === "early" ? [first, first + 10] : part === "mid" ? [first + 10, first + 20] : part === "late" ? [first + 20, first + length] : [first, first + length];
      return { start, end, precise: false };
    });
  }
  const season = new RegExp(`\\b(?:(early|mid|late)[\\s-]*)?(spring|summer|autumn|fall|winter)(?:\\s+(?:of\\s+)?${YEAR}(?!\\d))?`).exec(w);
  if (season) {
    const startMonth = { spring: 2, summer: 5, autumn: 8, fall: 8, winter: 11 }[season[2] as "spring"];
    const part = partOf(season[1]);
    return dated(season[3] ? Number(season[3]) : null, (year) => {
      const first = dayNumber(year, startMonth, 1);
      const last = dayNumber(year, startMonth + 3, 1);
      const third = (last - first) / 3;
      const [start, end] = part === "early" ? [first, first + third] : part === "mid" ? [first + third, first + 2 * third] : part === "late" ? [first + 2 * third, last] : [first, last];
      return { start, end, precise: false };
    });
  }
  const yearOnly = /\b(1\d{3}|20\d{2})\b/.exec(w);
  if (yearOnly) {
    const year = Number(yearOnly[1]);
    return { time: { scale: "date", start: dayNumber(year, 0, 1), end: dayNumber(year + 1, 0, 1), precise: false }, year };
  }

  // Relative to the event before.
  const previous = context.previous;
  if (!previous) return null;
  const base = Math.floor(previous.start);
  const relative = (dayOffset: number, keepPrevious: boolean): { time: StoryTime; year: null } => {
    const span = keepPrevious && tod === null ? { start: previous.start + dayOffset, end: previous.end + dayOffset, precise: previous.precise } : withTime(base + dayOffset, 1);
    return { time: { scale: previous.scale, ...span, derived: true }, year: null };
  };
  if (/\b(?:the )?(?:next|following) (?:day|morning|afternoon|evening|night)\b|\btomorrow\b|\bthe day after\b/.test(w)) return relative(1, false);
  if (/\b(?:the )?(?:previous|day before|night before|evening before)\b|\byesterday\b/.test(w)) return relative(-1, false);
  const later = /\b(\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a few|several) (day|week|month|year)s? later\b/.exec(w);
  if (later) {
    const n = /^\d+$/.test(later[1]!) ? Number(later[1]) : NUMBERS[later[1]!.replace(" ", "_")] ?? 1;
    const unit = { day: 1, week: 7, month: 30, year: 365 }[later[2] as "day"];
    return relative(n * unit, false);
  }
  if (/\b(?:that|the same|same|later that|this) (?:day|morning|afternoon|evening|night)\b|\b(?:moments|minutes|seconds|an hour|hours|shortly|soon|immediately|right) (?:later|after|afterwards)\b|\bmeanwhile\b|\bat the same time\b|\bsimultaneously\b|\bcontinuous\b/.test(w)) {
    return relative(0, true);
  }
  return null;
}

function timeOfDay(w: string): { at: number; span: number } | null {
  const clock = /\b(\d{1,2})(?::(\d{2}))?\s*(a\.?m\.?|p\.?m\.?)(?![a-z])/.exec(w) ?? /\b(\d{1,2}):(\d{2})\b/.exec(w);
  if (clock) {
    let hour = Number(clock[1]) % (clock[3] ? 12 : 24);
    if (clock[3]?.startsWith("p")) hour += 12;
    const minutes = clock[2] ? Number(clock[2]) : 0;
    if (hour < 24 && minutes < 60) return { at: (hour + minutes / 60) / 24, span: 1 / 24 };
  }
  for (const [pattern, at] of TIMES_OF_DAY) if (pattern.test(w)) return { at, span: TIME_SPAN };
  return null;
}

function partOf(word: string | undefined): "early" | "mid" | "late" | null {
  if (!word) return null;
  if (/early|beginning|start/.test(word)) return "early";
  if (/mid|middle/.test(word)) return "mid";
  return "late";
}

/** Days since 1970-01-01 (UTC, proleptic Gregorian), for any year; months past 11 roll over. */
function dayNumber(year: number, month: number, day: number): number {
  const date = new Date(Date.UTC(2000, month, day));
  date.setUTCFullYear(year + (date.getUTCFullYear() - 2000));
  return Math.round(date.getTime() / 86_400_000);
}

const FLASHBACK = /\bflash-?backs?\b|\bmemor(?:y|ies)\b|\bremember(?:s|ed|ing)?\b|\brecall(?:s|ed|ing)?\b|\b(?:years?|months?|weeks?|decades?) (?:earlier|before|ago|previously)\b|\blong ago\b|\bin the past\b|\bbackstory\b|\bdreams? of\b/i;

function isFlashback(text: string): boolean {
  return FLASHBACK.test(text);
}

// --- Places ---------------------------------------------------------------------------------------------------

/** Words after "at", "in", "on" that are not places: times, manners, states. */
const NOT_PLACES = new Set([
  "dawn", "dusk", "night", "noon", "midnight", "midday", "morning", "evening", "afternoon", "daybreak", "sunrise", "sunset", "twilight", "first", "last", "once", "least", "all", "time", "times", "silence", "secret", "tears", "love", "anger", "fear", "vain", "turn", "fact", "return", "case", "order", "front", "spite", "search", "pain", "shock", "horror", "haste", "private", "public", "person", "charge", "hand", "fire", "watch", "duty", "her", "his", "their", "its", "my", "your", "our",
  "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december", "spring", "summer", "autumn", "winter", "day", "days", "week", "year", "moment", "end", "middle", "meantime", "meanwhile", "which", "what", "this", "that", "it", "them", "him", "time",
]);
const STOP = /^(?:and|while|with|where|when|as|to|for|but|after|before|because|who|which|that|until|during|from|by|then|so|though|although|since|if|again|alone|together|in|at|on|near|inside|outside)$/;

/**
 * Where an event happens, when `what` says it plainly: the words after the first "at", "in", "on",
 * "inside", "aboard" or "atop" that are not a time or a manner, up to four, stopping at a joining word.
 * A heuristic; the only use is telling two places apart at one time.
 */
export function placeOf(what: string): string | null {
  // Clauses end at punctuation; a place never runs across one.
  for (const clause of what.split(/[,.;:()!?"“”]/)) {
    const words = clause.trim().split(/\s+/);
    for (let i = 0; i < words.length; i++) {
      if (!/^(?:at|in|on|inside|aboard|atop)$/i.test(words[i]!)) continue;
      const phrase: string[] = [];
      for (const word of words.slice(i + 1)) {
        const lower = word.toLowerCase();
        if (STOP.test(lower.replace(/['’]s$/, "")) || phrase.length === 4) break;
        phrase.push(lower);
      }
      while (phrase.length > 0 && /^(?:the|a|an|her|his|their|its|my|your|our)$/.test(phrase[0]!)) phrase.shift();
      if (phrase.length === 0 || /^\d/.test(phrase[0]!) || NOT_PLACES.has(phrase[0]!)) continue;
      return phrase.join(" ");
    }
  }
  return null;
}

// --- Orders and contradictions -----------------------------------------------------------------------------------

/**
 * Story order: events placed on the book's main scale (the one most events are on) by their time; every
 * other event keeps its place after the event before it in chapter order (so a chapter's unplaced events
 * travel with its placed ones). Flashbacks on the scale go to their time; equal times keep chapter order.
 */
export function storyOrder(events: TimelineEvent[]): TimelineEvent[] {
  const counts = { date: 0, day: 0 };
  for (const e of events) if (e.time) counts[e.time.scale]++;
  const main = counts.day > counts.date ? "day" : "date";
  let last = -Infinity;
  const keyed = events.map((e) => {
    let key = last;
    if (e.time && e.time.scale === main) {
      key = e.time.start;
      if (!e.flashback) last = key;
    }
    return { e, key };
  });
  return keyed.sort((a, b) => a.key - b.key || a.e.id - b.e.id).map((k) => k.e);
}

/**
 * Where the timeline contradicts itself:
 * - backwards: an event placed before an event of an earlier chapter, not marked as a flashback (both on
 *   the same scale, the later chapter's entirely before the other; times worked out from a relative phrase
 *   are not flagged again, the event they hang on is);
 * - two places: a character at two different places at the same time (the same time of day on the same
 *   day, or the same words for the time within one chapter).
 */
export function findContradictions(events: TimelineEvent[]): Contradiction[] {
  const out: Contradiction[] = [];
  for (const b of events) {
    if (!b.time || b.flashback || b.time.derived || b.chapter === 0) continue;
    // The latest stated time it falls before; a worked-out one ("the next morning") only when no stated one is.
    let worst: TimelineEvent | null = null;
    const rank = (e: TimelineEvent) => [e.time!.derived ? 0 : 1, e.time!.start] as const;
    for (const a of events) {
      if (a.chapter >= b.chapter || a.flashback || !a.time || a.time.scale !== b.time.scale || b.time.end > a.time.start) continue;
      const [stated, start] = rank(a);
      if (!worst || stated > rank(worst)[0] || (stated === rank(worst)[0] && start > rank(worst)[1])) worst = a;
    }
    if (worst) {
      out.push({
        kind: "backwards",
        event: b.id,
        other: worst.id,
        reason: `"${b.when}" (chapter ${b.chapter}) is before "${worst.when}" (${chapterName(worst.chapter)}), but is not marked as a flashback.`,
      });
    }
  }
  const byPerson = new Map<string, TimelineEvent[]>();
  for (const e of events) {
    if (!e.place) continue;
    for (const name of new Set(e.who.map((w) => w.toLowerCase()))) byPerson.set(name, [...(byPerson.get(name) ?? []), e]);
  }
  const seen = new Set<string>();
  for (const list of byPerson.values()) {
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        const [a, b] = [list[i]!, list[j]!];
        const pair = `${a.id}:${b.id}`;
        if (seen.has(pair) || !samePlaceDiffers(a.place!, b.place!) || !sameTime(a, b)) continue;
        seen.add(pair);
        const name = a.who.find((w) => b.who.some((x) => x.toLowerCase() === w.toLowerCase())) ?? "";
        out.push({
          kind: "two-places",
          event: b.id,
          other: a.id,
          reason: `${name} is in two places at the same time ("${b.when}"): "${b.place}" here and "${a.place}" in ${chapterName(a.chapter)}.`,
        });
      }
    }
  }
  return out.sort((x, y) => x.event - y.event || x.other - y.other);
}

function samePlaceDiffers(a: string, b: string): boolean {
  return a !== b && !a.includes(b) && !b.includes(a);
}

function sameTime(a: TimelineEvent, b: TimelineEvent): boolean {
  if (a.time && b.time) {
    return a.time.scale === b.time.scale && a.time.precise && b.time.precise && a.time.start < b.time.end && b.time.start < a.time.end;
  }
  // Words that place nothing ("the night of the storm") mean one time only within one chapter.
  const norm = (s: string) => s.toLowerCase().replace(/\s+/g, " ").trim();
  return !a.time && !b.time && a.chapter === b.chapter && norm(a.when) !== "" && norm(a.when) === norm(b.when);
}

function chapterName(chapter: number): string {
  return chapter === 0 ? "the story's start" : `chapter ${chapter}`;
}
