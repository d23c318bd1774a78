/**
 * A chapter's summary on its own, for chapters Bookwright did not write (imported or typed by the writer):
 * later chapters' prompts and continuity checks read earlier chapters through these (CRAFT.md §3).
 */
export const CHAPTER_SUMMARY_ROLE = `You summarise one chapter of a novel in about 150 words for the context of later chapters. Keep what later chapters depend on: what happens, deaths and other changes of status, who learns what, objects that change hands or state, where each character is at the end, and any date or time of day the text gives. Name characters by the names the text uses. Plain past-tense prose, no headings, no judgement of the writing.`;
