/**
 * The five agents as functions: each builds its bounded context (context.ts), calls the model through
 * the Llm port, and returns a validated result with its usage. Which model each agent uses is
 * configuration: the strongest for Architect and Writer, cheaper ones for the extractors (CRAFT.md §7).
 */
import { completeProse } from "../llm/continue-prose";
import type { Llm, LlmRequest, LlmUsage } from "../llm/llm";
import { completeStructured, toolFor } from "../llm/structured";
import { buildContext, type AgentName, type ChapterMemory, type ContextInput } from "./context";
import { ACT_SUMMARY_ROLE } from "./prompts/act-summary";
import { CHAPTER_SUMMARY_ROLE } from "./prompts/chapter-summary";
import {
  briefSchema, charactersSchema, continuityReportSchema, timelineSchema,
  type Brief, type CharactersExtraction, type ContinuityReport, type TimelineExtraction,
} from "./schemas";

export type AgentModels = Record<AgentName, string>;

/** Defaults a writer can change in settings; model ids change (claude-sonnet-4-5 reaches end of life on 30 November 2026), so nothing else names a model. */
export const DEFAULT_AGENT_MODELS: AgentModels = {
  architect: "claude-sonnet-4-6",
  writer: "claude-sonnet-4-6",
  continuity: "claude-sonnet-4-6",
  timeline: "claude-haiku-4-5",
  characters: "claude-haiku-4-5",
};

/** Output budgets per call. The writer's is per call: completeProse continues a chapter cut at the limit. */
export const DEFAULT_MAX_TOKENS: Record<AgentName, number> = {
  architect: 2_000,
  writer: 4_096,
  continuity: 3_000,
  timeline: 1_500,
  characters: 2_000,
};

export interface AgentDeps {
  llm: Llm;
  models?: Partial<AgentModels>;
  maxTokens?: Partial<Record<AgentName, number>>;
  signal?: AbortSignal;
  /** Streamed text of structured replies (JSON as it arrives), for progress displays. */
  onText?: (delta: string, received: number) => void;
}

export interface AgentResult<T> {
  value: T;
  usage: LlmUsage;
  model: string;
}

type ContextFor = Omit<ContextInput, "agent">;

function settings(deps: AgentDeps, agent: AgentName): { model: string; maxTokens: number } {
  return { model: deps.models?.[agent] ?? DEFAULT_AGENT_MODELS[agent], maxTokens: deps.maxTokens?.[agent] ?? DEFAULT_MAX_TOKENS[agent] };
}

async function structured<T>(
  deps: AgentDeps,
  agent: AgentName,
  context: ContextFor,
  schema: Parameters<typeof completeStructured>[2],
  tool: { toolName: string; description: string },
): Promise<AgentResult<T>> {
  const { model, maxTokens } = settings(deps, agent);
  const { system, messages } = buildContext({ ...context, agent });
  const result = await completeStructured(
    deps.llm,
    { model, maxTokens, system, messages, ...(deps.signal ? { signal: deps.signal } : {}), ...(deps.onText ? { onText: deps.onText } : {}) },
    schema,
    tool,
  );
  return { value: result.value as T, usage: result.usage, model };
}

/**
 * The request the Continuity agent would send for `context`, with its tool, without sending it: for the
 * Message Batches API, which takes whole requests and answers hours later at half price.
 */
export function continuityRequest(deps: Omit<AgentDeps, "llm">, context: ContextFor & { chapterText: string }): LlmRequest {
  const { model, maxTokens } = settings(deps as AgentDeps, "continuity");
  const { system, messages } = buildContext({ ...context, agent: "continuity" });
  return { model, maxTokens, system, messages, tool: toolFor(continuityReportSchema, CONTINUITY_TOOL) };
}

const CONTINUITY_TOOL = {
  toolName: "continuity_report",
  description: "Contradictions between this chapter and what was established before, and a summary of the chapter.",
};

export function runArchitect(deps: AgentDeps, context: ContextFor): Promise<AgentResult<Brief>> {
  return structured<Brief>(deps, "architect", context, briefSchema, { toolName: "chapter_brief", description: "The plan of one chapter, beat by beat." });
}

export async function runWriter(
  deps: AgentDeps,
  context: ContextFor & { brief: Brief },
  onText?: (delta: string, received: number) => void,
): Promise<AgentResult<string> & { truncated: boolean }> {
  const { model, maxTokens } = settings(deps, "writer");
  const { system, messages } = buildContext({ ...context, agent: "writer" });
  const result = await completeProse(
    deps.llm,
    { model, maxTokens, system, messages, ...(deps.signal ? { signal: deps.signal } : {}), ...(onText ? { onText } : {}) },
    { maxContinuations: 3 },
  );
  return { value: result.text, usage: result.usage, model, truncated: result.truncated };
}

export function runContinuity(deps: AgentDeps, context: ContextFor & { chapterText: string }): Promise<AgentResult<ContinuityReport>> {
  return structured<ContinuityReport>(deps, "continuity", context, continuityReportSchema, CONTINUITY_TOOL);
}

export function runTimeline(deps: AgentDeps, context: ContextFor & { chapterText: string }): Promise<AgentResult<TimelineExtraction>> {
  return structured<TimelineExtraction>(deps, "timeline", context, timelineSchema, { toolName: "timeline_events", description: "The chapter's events in story order." });
}

export function runCharacters(deps: AgentDeps, context: ContextFor & { chapterText: string }): Promise<AgentResult<CharactersExtraction>> {
  return structured<CharactersExtraction>(deps, "characters", context, charactersSchema, { toolName: "codex_update", description: "Who appears, and what becomes true about them." });
}

/**
 * One summary for a finished act, from its chapters' summaries, with the Continuity agent's model (it
 * wrote those summaries). The context builder uses it in place of the act's chapters once they no
 * longer fit the summary budget.
 */
export async function runActSummary(deps: AgentDeps, act: string, summaries: ChapterMemory[]): Promise<AgentResult<string>> {
  const { model } = settings(deps, "continuity");
  const chapters = summaries.map((s) => `Chapter ${s.chapter}: ${s.summary.trim()}`).join("\n\n");
  const result = await completeProse(
    deps.llm,
    {
      model,
      maxTokens: 800,
      system: [{ text: ACT_SUMMARY_ROLE }],
      messages: [{ role: "user", content: [{ text: `## ${act}\n${chapters}\n\nSummarise ${act}.` }] }],
      ...(deps.signal ? { signal: deps.signal } : {}),
    },
    { maxContinuations: 1 },
  );
  return { value: result.text.trim(), usage: result.usage, model };
}

/**
 * The request for one chapter's summary alone, with the cheap extractors' model (the Characters agent's):
 * a chapter the writer wrote themselves has no summary until something asks for one.
 */
export function chapterSummaryRequest(deps: Omit<AgentDeps, "llm">, chapter: number, chapterText: string): LlmRequest {
  const { model } = settings(deps as AgentDeps, "characters");
  return {
    model,
    maxTokens: 600,
    system: [{ text: CHAPTER_SUMMARY_ROLE }],
    messages: [{ role: "user", content: [{ text: `## Chapter ${chapter}\n${chapterText.trim()}\n\nSummarise chapter ${chapter}.` }] }],
  };
}
