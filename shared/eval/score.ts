/**
 * Scores a continuity checker against planted contradictions: recall (planted ones found, in the right
 * chapter, quoting the planted sentence) and false alarms per 10,000 words (findings that match no plant).
 */
import type { Plant } from "./plant";

export interface ScoredFinding {
  chapter: number;
  quote: string;
}

export interface EvalScore {
  planted: number;
  found: number;
  recall: number;
  falseAlarms: number;
  words: number;
  falseAlarmsPer10kWords: number;
  missed: Plant[];
}

const normalise = (text: string): string => text.toLowerCase().replace(/[’']/g, "'").replace(/\s+/g, " ").trim();

/** A finding hits a plant when it is in the contradiction's chapter and its quote overlaps the planted sentence. */
export function matches(finding: ScoredFinding, plant: Plant): boolean {
  if (finding.chapter !== plant.contradiction.chapter) return false;
  const quote = normalise(finding.quote);
  const sentence = normalise(plant.contradiction.sentence);
  return quote.length >= 8 && (sentence.includes(quote) || quote.includes(sentence));
}

export function scoreFindings(findings: ScoredFinding[], plants: Plant[], words: number): EvalScore {
  const found = plants.filter((plant) => findings.some((f) => matches(f, plant)));
  const falseAlarms = findings.filter((f) => !plants.some((plant) => matches(f, plant))).length;
  return {
    planted: plants.length,
    found: found.length,
    recall: plants.length === 0 ? 0 : found.length / plants.length,
    falseAlarms,
    words,
    falseAlarmsPer10kWords: words === 0 ? 0 : (falseAlarms * 10_000) / words,
    missed: plants.filter((p) => !found.includes(p)),
  };
}
