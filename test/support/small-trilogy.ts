/**
 * A small trilogy for the series view and command tests: shared/testing/series-fixture.ts's layout (a
 * series folder, three books numbering their chapters from 1, a series bible, series-wide and book
 * characters), filled with nine one-line chapters instead of the corpus novel so the tests stay fast.
 * Each line names who is in it, so the fixture's cast detection fills the `characters` keys.
 */
import type { ImportedChapter } from "../../shared/import/import-manuscript";
import { trilogyFiles } from "../../shared/testing/series-fixture";

/** Word counts are in the comments: the tests check the dashboard's words against them. */
const LINES: [title: string, text: string][] = [
  ["The ball", "Elizabeth met Darcy at the ball and thought him proud."], // 10
  ["Netherfield", "Jane fell ill at Netherfield while Bingley was kind."], // 9
  ["A story", "Wickham told Elizabeth a story about Darcy and the living."], // 10
  ["The proposal", "Collins proposed to Elizabeth and was refused at once."], // 9
  ["Charlotte", "Charlotte accepted Collins the very next day."], // 7
  ["The letter", "Darcy wrote a letter that explained everything about Wickham."], // 9
  ["Pemberley", "Elizabeth visited Pemberley with her aunt and uncle."], // 8
  ["Brighton", "Lydia ran away with Wickham from Brighton."], // 7
  ["Autumn", "Darcy and Elizabeth were married in the autumn."], // 8
];

export const SMALL_TRILOGY_WORDS = [29, 25, 23];

export const smallTrilogyChapters: ImportedChapter[] = LINES.map(([title, text], i) => ({ number: i + 1, title, text }));

export function smallTrilogy(): Record<string, string> {
  return trilogyFiles(smallTrilogyChapters);
}
