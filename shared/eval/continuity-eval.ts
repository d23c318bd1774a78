/**
 * `bookwright eval continuity`: plants contradictions into copies of a book's chapters, runs the
 * Continuity agent over every chapter in order (each seeing the summaries the checker wrote for the
 * chapters before, as in real use), and scores it. Nothing is written to the vault.
 */
import type { CodexCharacter } from "../agents/codex";
import type { BookMaterial, ChapterMemory } from "../agents/context";
import { runContinuity, type AgentDeps } from "../agents/run";
import { WordCounter } from "../book/words";
import { addUsage, type LlmUsage } from "../llm/llm";
import { plantContradictions, type Plant, type PlantableChapter } from "./plant";
import { scoreFindings, type EvalScore, type ScoredFinding } from "./score";

export interface EvalBook {
  material: BookMaterial;
  codex: CodexCharacter[];
  chapters: PlantableChapter[];
}

export interface EvalResult {
  score: EvalScore;
  plants: Plant[];
  findings: ScoredFinding[];
  usage: LlmUsage;
}

export async function evalContinuity(
  deps: AgentDeps,
  book: EvalBook,
  options: { count: number; seed?: number; onChapter?: (chapter: number, of: number) => void },
): Promise<EvalResult> {
  const names = book.codex.map((c) => c.name);
  const { chapters, plants } = plantContradictions(book.chapters, names, options.count, options.seed ?? 1);
  const summaries: ChapterMemory[] = [];
  const findings: ScoredFinding[] = [];
  let usage: LlmUsage = { inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 };
  let previous = "";
  for (const chapter of chapters) {
    options.onChapter?.(chapter.chapter, chapters.length);
    const result = await runContinuity(deps, {
      book: book.material,
      codex: book.codex,
      batchStart: chapters[0]!.chapter,
      chapter: chapter.chapter,
      summaries,
      previousChapterText: previous,
      charactersPresent: names.filter((n) => chapter.body.includes(n.split(" ")[0]!)),
      chapterText: chapter.body,
    });
    usage = addUsage(usage, result.usage);
    summaries.push({ chapter: chapter.chapter, summary: result.value.summary });
    for (const finding of result.value.findings) findings.push({ chapter: chapter.chapter, quote: finding.quote });
    previous = chapter.body;
  }
  const counter = new WordCounter(book.material.language);
  const words = chapters.reduce((sum, c) => sum + counter.countMarkdown(c.body), 0);
  return { score: scoreFindings(findings, plants, words), plants, findings, usage };
}
