/**
 * One chapter end to end, in memory: brief → write → {continuity, characters, timeline}, then the story
 * state learns from the results (summary, codex facts tied to this chapter, new characters, timeline).
 * The queue (its own issue) schedules these steps with persistence; this is the data flow it runs, and
 * what tests and the token benchmark drive directly.
 */
import { addUsage, type LlmUsage } from "../llm/llm";
import { runChecks } from "../checks/run-checks";
import type { CodexCharacter as CheckedCharacter, Finding as CheckFinding } from "../checks/types";
import type { CodexCharacter } from "./codex";
import type { BookMaterial, ChapterMemory } from "./context";
import { runActSummary, runArchitect, runCharacters, runContinuity, runTimeline, runWriter, type AgentDeps } from "./run";
import type { Brief, CharactersExtraction, ContinuityReport, TimelineExtraction } from "./schemas";

export interface StoryState {
  book: BookMaterial;
  codex: CodexCharacter[];
  summaries: ChapterMemory[];
  /** Timeline entries so far, one line each, tied to their chapter. */
  timeline: string[];
  chapters: Map<number, string>;
  /** The chapter the current batch started at: the codex in the cached prefix is as of then. */
  batchStart: number;
  /** Summaries of finished acts, written when the story moves on to the next act. */
  actSummaries?: Record<string, string>;
}

export interface ChapterOutcome {
  chapter: number;
  brief: Brief;
  text: string;
  report: ContinuityReport;
  /** Findings of the checks that need no model (stock phrases, repeats, name variants, the dead acting). */
  checks: CheckFinding[];
  characters: CharactersExtraction;
  timeline: TimelineExtraction;
  usage: LlmUsage;
}

const NO_USAGE: LlmUsage = { inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 };

export async function runChapter(deps: AgentDeps, state: StoryState, chapter: number, act?: string): Promise<ChapterOutcome> {
  let actUsage = NO_USAGE;
  // Crossing into a new act: the act just finished gets its summary, so its chapters can be rolled up.
  const previousAct = state.summaries.at(-1)?.act;
  if (act !== undefined && previousAct !== undefined && previousAct !== act && state.actSummaries?.[previousAct] === undefined) {
    const summary = await runActSummary(deps, previousAct, state.summaries.filter((s) => s.act === previousAct));
    state.actSummaries = { ...state.actSummaries, [previousAct]: summary.value };
    actUsage = summary.usage;
  }
  const base = {
    book: state.book,
    codex: state.codex,
    batchStart: state.batchStart,
    chapter,
    summaries: state.summaries,
    ...(state.actSummaries ? { actSummaries: state.actSummaries } : {}),
    previousChapterText: state.chapters.get(chapter - 1) ?? "",
    timelineSoFar: state.timeline.join("\n"),
  };
  // The architect decides who is present; it sees everyone's state in the codex and the changes since.
  const brief = await runArchitect(deps, { ...base, charactersPresent: [] });
  const written = await runWriter(deps, { ...base, brief: brief.value, charactersPresent: brief.value.charactersPresent });
  const text = written.value;
  const checking = { ...base, charactersPresent: brief.value.charactersPresent, chapterText: text };
  const [report, characters, timeline] = await Promise.all([runContinuity(deps, checking), runCharacters(deps, checking), runTimeline(deps, checking)]);

  state.chapters.set(chapter, text);
  state.summaries.push({ chapter, summary: report.value.summary, ...(act === undefined ? {} : { act }) });
  applyCharacters(state.codex, characters.value, chapter);
  for (const event of [...timeline.value.events].sort((a, b) => a.order - b.order)) {
    state.timeline.push(`${event.when}: ${event.what}${event.who.length ? ` (${event.who.join(", ")})` : ""} [chapter ${chapter}]`);
  }
  const usage = [actUsage, brief.usage, written.usage, report.usage, characters.usage, timeline.usage].reduce(addUsage, NO_USAGE);
  const checks = deterministicChecks(state, chapter);
  return { chapter, brief: brief.value, text, report: report.value, checks, characters: characters.value, timeline: timeline.value, usage };
}

/** The model-free checks over the book so far, keeping the findings about `chapter`. */
function deterministicChecks(state: StoryState, chapter: number): CheckFinding[] {
  const chapters = [...state.chapters.entries()].sort(([a], [b]) => a - b).map(([n, body]) => ({ chapter: n, title: `Chapter ${n}`, body }));
  return runChecks(chapters, state.codex.map(checkedCharacter)).filter((f) => f.where.chapter === chapter);
}

/** A codex entry as the checks see it: its latest status and the chapter that status began. */
export function checkedCharacter(character: CodexCharacter): CheckedCharacter {
  const status = character.facts.filter((f) => f.kind === "status").sort((a, b) => a.chapter - b.chapter).at(-1);
  return {
    name: character.name,
    aliases: character.aliases,
    ...(status ? { status: status.value, statusSince: status.chapter } : {}),
    ...(status?.from ? { statusFrom: `book ${status.from.book}, chapter ${status.from.chapter}` } : {}),
  };
}

/** The codex learns from a chapter: new characters join, and every change is a fact tied to `chapter`. */
export function applyCharacters(codex: CodexCharacter[], extraction: CharactersExtraction, chapter: number): void {
  const find = (name: string): CodexCharacter | undefined => {
    const wanted = name.trim().toLowerCase();
    return codex.find((c) => [c.name, ...c.aliases].some((n) => n.toLowerCase() === wanted));
  };
  for (const fresh of extraction.newCharacters) {
    if (!find(fresh.name)) codex.push({ name: fresh.name, aliases: fresh.aliases, role: fresh.role, sheet: fresh.description, facts: [] });
  }
  for (const change of extraction.changes) {
    find(change.name)?.facts.push({ kind: change.kind, value: change.value, chapter });
  }
}
