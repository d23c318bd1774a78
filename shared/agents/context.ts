/**
 * The context builder: what each agent sees, within a budget that does not grow with the book
 * (DESIGN §3, CRAFT.md §2–3). Earlier chapters arrive as summaries, rolled up by act once they outgrow
 * their budget; only the previous chapter's tail is verbatim; only the characters present get full
 * sheets. The stable part (role, story bible, outline, the codex at the start of the batch) comes first,
 * byte-identical across a batch's calls, with cache breakpoints, so a batch pays for it once.
 */
import type { LlmMessage, TextBlock } from "../llm/llm";
import { codexBefore, isCharacter, renderCharacter, type CodexCharacter } from "./codex";
import { ARCHITECT_ROLE } from "./prompts/architect";
import { CHARACTERS_ROLE } from "./prompts/characters";
import { CONTINUITY_ROLE, CONTINUITY_SERIES_NOTE } from "./prompts/continuity";
import { TIMELINE_ROLE } from "./prompts/timeline";
import { WRITER_ROLE } from "./prompts/writer";
import type { Brief } from "./schemas";

export type AgentName = "architect" | "writer" | "continuity" | "timeline" | "characters";

const ROLES: Record<AgentName, string> = {
  architect: ARCHITECT_ROLE,
  writer: WRITER_ROLE,
  continuity: CONTINUITY_ROLE,
  timeline: TIMELINE_ROLE,
  characters: CHARACTERS_ROLE,
};

export interface BookMaterial {
  title: string;
  genre?: string;
  language: string;
  /** The story bible note's body: premise, world rules, themes, tone, style guide, POV and tense. */
  storyBible: string;
  outline: string;
  /**
   * The series this book belongs to, as the prompt shows it (series-context.ts: the series bible and the
   * earlier books rolled up, within a fixed budget); absent for a standalone book.
   */
  seriesContext?: string;
}

export interface ChapterMemory {
  chapter: number;
  /** The act or part the chapter belongs to, for rolling summaries up. */
  act?: string;
  summary: string;
}

export interface ContextBudget {
  /**
   * Tokens for earlier chapters' summaries (≈ 4 characters a token). Small beside the stable part on
   * purpose: chapter 30's prompt must stay within 1.3 × chapter 5's. @default 2000
   */
  summaryTokens: number;
  /** Words of the previous chapter's ending given verbatim. @default 400 */
  tailWords: number;
}

export const DEFAULT_BUDGET: ContextBudget = { summaryTokens: 2000, tailWords: 400 };

export interface ContextInput {
  agent: AgentName;
  book: BookMaterial;
  codex: CodexCharacter[];
  /** The chapter of the batch's first call: the codex in the stable part is as of before it. */
  batchStart: number;
  chapter: number;
  summaries: ChapterMemory[];
  /** Summaries of whole acts, written when an act's chapter summaries outgrow the budget. */
  actSummaries?: Record<string, string>;
  previousChapterText?: string;
  /** What the previous text is, when it is not chapter − 1 of this book (a series book's chapter 1 reads the book before's ending). */
  previousChapterLabel?: string;
  brief?: Brief;
  /** Characters present (from the brief, or found in the chapter). */
  charactersPresent: string[];
  /** The chapter's prose, for the checking agents. */
  chapterText?: string;
  /** The timeline so far, for continuity and timeline. */
  timelineSoFar?: string;
  budget?: Partial<ContextBudget>;
}

export interface BuiltContext {
  system: TextBlock[];
  messages: LlmMessage[];
}

/** Rough token estimate (the API's tokenizer is not available offline); used only for budgets. */
export const estimateTokens = (text: string): number => Math.ceil(text.length / 4);

/**
 * The agents that plan, write and check get the series (its bible, the earlier books rolled up); the
 * extractors read one chapter against the codex, which holds the earlier books' facts already.
 */
const SERIES_AGENTS: ReadonlySet<AgentName> = new Set(["architect", "writer", "continuity"]);

export function buildContext(input: ContextInput): BuiltContext {
  const budget = { ...DEFAULT_BUDGET, ...input.budget };
  const series = input.book.seriesContext?.trim() && SERIES_AGENTS.has(input.agent) ? input.book.seriesContext.trim() : "";
  // The series comes before the book's own bible: the general first, then what this book makes of it.
  const stable = [
    `# ${input.book.title}${input.book.genre ? ` (${input.book.genre})` : ""}\nLanguage: ${input.book.language}`,
    series,
    `## Story bible\n${input.book.storyBible.trim()}`,
    `## Outline\n${input.book.outline.trim()}`,
  ].filter(Boolean).join("\n\n");
  const codexAtBatchStart = codexBefore(input.codex, input.batchStart).map((c) => renderCharacter(c, false)).join("\n\n");
  // Only a series book's checker is told how to cite an earlier book: a standalone book's prompt stays as it was.
  const role = series && input.agent === "continuity" ? `${ROLES.continuity}\n\n${CONTINUITY_SERIES_NOTE}` : ROLES[input.agent];
  const system: TextBlock[] = [
    { text: role },
    { text: stable, cache: "1h" },
    { text: `## Codex (as of the start of this batch, chapter ${input.batchStart})\n${codexAtBatchStart || "(empty)"}`, cache: "5m" },
  ];

  const parts: string[] = [];
  const memory = rollUpSummaries(input.summaries.filter((s) => s.chapter < input.chapter), input.actSummaries ?? {}, budget.summaryTokens);
  if (memory) parts.push(`## The story so far\n${memory}`);
  // The cached codex is as of the batch's start; what changed since then (deaths, moves, knowledge)
  // follows here, so nobody acts on stale facts mid-batch.
  const changes = input.codex.flatMap((c) =>
    c.facts.filter((f) => f.chapter >= input.batchStart && f.chapter < input.chapter).map((f) => `- ${c.name}: ${f.kind} ${f.value} (chapter ${f.chapter})`),
  );
  if (changes.length) parts.push(`## Changes since chapter ${input.batchStart}\n${changes.slice(-60).join("\n")}`);
  const present = codexBefore(input.codex, input.chapter).filter((c) => input.charactersPresent.some((name) => isCharacter(c, name)));
  if (present.length) parts.push(`## Characters in this chapter, as they are now\n${present.map((c) => renderCharacter(c, true)).join("\n\n")}`);
  if (input.timelineSoFar && (input.agent === "continuity" || input.agent === "timeline")) {
    parts.push(`## Timeline so far\n${lastTokens(input.timelineSoFar, budget.summaryTokens)}`);
  }
  if (input.previousChapterText && (input.agent === "writer" || input.agent === "architect" || input.agent === "continuity")) {
    parts.push(`## How ${input.previousChapterLabel ?? `chapter ${input.chapter - 1}`} ends\n${tailWords(input.previousChapterText, budget.tailWords)}`);
  }
  if (input.brief) parts.push(`## Brief for chapter ${input.chapter}\n${JSON.stringify(input.brief, null, 2)}`);
  if (input.chapterText !== undefined) parts.push(`## Chapter ${input.chapter}\n${input.chapterText}`);
  parts.push(TASKS[input.agent](input.chapter));
  return { system, messages: [{ role: "user", content: [{ text: parts.join("\n\n") }] }] };
}

const TASKS: Record<AgentName, (chapter: number) => string> = {
  architect: (n) => `Write the brief for chapter ${n}.`,
  writer: (n) => `Write chapter ${n} now, following the brief. Prose only.`,
  continuity: (n) => `Check chapter ${n} against everything established before it.`,
  timeline: (n) => `List the events of chapter ${n} in story order.`,
  characters: (n) => `Update the codex from chapter ${n}.`,
};

/** How rolled-up lines name their chapters (this book's as "Chapter 12", an earlier book's with its book) and cut a summary short. */
export interface RollUpStyle {
  chapter: (chapter: number) => string;
  /** The line saying chapters 1 to `last` were left out. */
  leftOut: (last: number) => string;
  /** An older chapter's summary cut to its first sentence. */
  sentence: (summary: string) => string;
}

const CHAPTER_STYLE: RollUpStyle = {
  chapter: (n) => `Chapter ${n}`,
  leftOut: (last) => `(Earlier chapters, 1–${last}, are left out for length.)`,
  sentence: (summary) => firstSentence(summary),
};

/**
 * Earlier chapters as summaries within `budgetTokens`: the most recent chapters keep their own
 * summaries; older ones are replaced by their act's summary where there is one, else by their first
 * sentence; what still does not fit is dropped, oldest first, with a note saying so.
 */
export function rollUpSummaries(summaries: ChapterMemory[], actSummaries: Record<string, string>, budgetTokens: number, style: Partial<RollUpStyle> = {}): string {
  const { chapter: name, leftOut, sentence } = { ...CHAPTER_STYLE, ...style };
  const ordered = [...summaries].sort((a, b) => a.chapter - b.chapter);
  const recent: string[] = [];
  let used = 0;
  let i = ordered.length - 1;
  for (; i >= 0; i--) {
    const line = `${name(ordered[i]!.chapter)}: ${ordered[i]!.summary.trim()}`;
    if (used + estimateTokens(`${line}\n`) > budgetTokens * 0.6 && recent.length > 0) break;
    recent.unshift(line);
    used += estimateTokens(`${line}\n`);
  }
  const older: string[] = [];
  const actsDone = new Set<string>();
  for (let j = i; j >= 0; j--) {
    const memory = ordered[j]!;
    const act = memory.act;
    let line: string;
    if (act !== undefined && actSummaries[act] !== undefined) {
      if (actsDone.has(act)) continue;
      actsDone.add(act);
      line = `${act}: ${actSummaries[act].trim()}`;
    } else {
      line = `${name(memory.chapter)}: ${sentence(memory.summary)}`;
    }
    // Room is kept for the note that says what was left out (about 12 tokens).
    if (used + estimateTokens(`${line}\n`) > budgetTokens - 12) {
      older.unshift(leftOut(memory.chapter));
      break;
    }
    older.unshift(line);
    used += estimateTokens(`${line}\n`);
  }
  return [...older, ...recent].join("\n");
}

function firstSentence(text: string): string {
  const match = /^[\s\S]*?[.!?](?=\s|$)/.exec(text.trim());
  return (match ? match[0] : text).trim();
}

/** The last `words` words of a chapter, from a paragraph start when one is near, verbatim. */
export function tailWords(text: string, words: number): string {
  const tokens = text.trim().split(/(\s+)/);
  let count = 0;
  let start = tokens.length;
  while (start > 0 && count < words) {
    start--;
    if (!/^\s+$/.test(tokens[start]!)) count++;
  }
  return tokens.slice(start).join("");
}

function lastTokens(text: string, tokens: number): string {
  const chars = tokens * 4;
  return text.length <= chars ? text : `…${text.slice(text.length - chars)}`;
}
