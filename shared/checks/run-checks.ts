/**
 * All the deterministic checks over a book's chapters: no model, no I/O, cheap enough to run on every
 * chapter every time, so the continuity report always carries them.
 */
import { findDeadCharacterMentions } from "./dead-characters";
import { findNameVariants } from "./name-variants";
import { findRepeatedNgrams } from "./repeated-ngrams";
import { findStockPhrases } from "./stock-phrases";
import type { ChapterText, CodexCharacter, Finding } from "./types";

export interface CheckOptions {
  /** The writer's phrases to avoid (the vault note's lines), same syntax as DEFAULT_PHRASES. */
  phrases?: string[];
  /** Whether DEFAULT_PHRASES are checked too (default true). */
  useDefaultPhrases?: boolean;
  /** Default phrases the writer uses on purpose. */
  ignorePhrases?: string[];
  /** Repeated-wording run lengths in words (default 5 to 8; see NgramOptions). */
  ngram?: { min: number; max: number };
}

export function runChecks(chapters: ChapterText[], codex: CodexCharacter[], options: CheckOptions = {}): Finding[] {
  const findings = [
    ...findDeadCharacterMentions(chapters, codex),
    ...findNameVariants(chapters, codex),
    ...findStockPhrases(chapters, { phrases: options.phrases, useDefaultPhrases: options.useDefaultPhrases, ignorePhrases: options.ignorePhrases }),
    ...findRepeatedNgrams(chapters, options.ngram ?? {}),
  ];
  // Stable sort: within a line, continuity problems (listed first above) come before style.
  return findings.sort((a, b) => a.where.chapter - b.where.chapter || a.where.line - b.where.line);
}
