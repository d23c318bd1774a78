/**
 * The dead walking: a character whose codex status is dead (deceased, killed, died…) since chapter K,
 * named in a later chapter as if present. It is the continuity error writers of long AI-assisted books
 * complain about most ("a character who died in chapter 7 walks into chapter 20").
 *
 * Pragmatic, not a parser: every mention after chapter K is a finding unless its sentence speaks of
 * memory or the past ("remembered", "grave", "the late", "used to", "had been"…), because the dead are
 * mostly named in exactly those sentences. Severity says how sure the check is:
 * - error: the character speaks ("Mara said", "said Mara");
 * - warning: any other mention in narration ("Mara walked in", "Tom handed Mara the key");
 * - info: named inside someone's dialogue, which is usually talk about the dead;
 * and one step lower when the paragraph (not the sentence) speaks of memory: probably a flashback.
 * A dead character without `statusSince` is not checked: without K there is no "after".
 */
import { COMMON_WORDS, TITLES } from "./common-words";
import { escapeRegExp, excerpt, isSentenceStart, LineIndex, paragraphBreaks, quotedSpans, sentenceAt, spanAt } from "./text";
import type { ChapterText, CodexCharacter, Finding } from "./types";

const DEAD = /\b(?:dead|deceased|killed|died|murdered|slain|executed|passed away)\b/i;
/** "presumed dead" and "faked her death" are plot, not facts: such a character may well walk in. */
const NOT_REALLY = /\b(?:presumed|believed|thought|rumou?red|reported|not|undead|fak(?:e|ed|ing)|missing)\b/i;

/** Words that put a sentence in memory, the past, or death's aftermath. */
const MEMORY =
  /\b(?:remember\w*|recall\w*|recollect\w*|memor(?:y|ies|ial)|grave\w*|funeral\w*|(?:the|her|his|my|our|your|their) late|ghost\w*|dream\w*|nightmare\w*|had been|'d been|’d been|used to|photo\w*|portrait\w*|picture\w*|mourn\w*|buried|burial|tomb\w*|death|dead|died|killed|murder\w*|ashes|eulogy|widow\w*|haunt\w*|missed|long ago|years ago|once upon|in the old days|before (?:she|he|they) died|would have|had (?:never|always|once)|had \w+ed)\b/i;

/** Verbs that make a name the speaker: "Mara said", "said Mara", "Mara quietly asked". */
const SPEECH =
  "said|says|asked|asks|replied|replies|answered|answers|whispered|whispers|muttered|mutters|murmured|murmurs|shouted|shouts|yelled|yells|exclaimed|exclaims|retorted|retorts|hissed|hisses";
/** Verbs that tag speech only when there is speech to tag: "“Go,” Mara laughed", but not "Mara laughed at the sea". */
const SPEECH_WITH_QUOTES =
  "laughed|laughs|sighed|sighs|called|calls|cried|cries|snapped|snaps|added|adds|continued|continues|told|tells|insisted|insists|agreed|agrees|demanded|demands|growled|growls|breathed|began|begins|repeated|repeats|explained|explains|declared|declares|protested|protests|interrupted|interrupts|went on|goes on";
const speechAfter = (verbs: string): RegExp => new RegExp(`^[^\\S\\n]*(?:\\n[^\\S\\n]*)?(?:\\p{L}+ly\\s+)?(?:${verbs})\\b`, "u");
// "said Mara" is attribution only right after the speech ("“Go,” said Mara"); "Tom said Mara left" is not.
const speechBefore = (verbs: string): RegExp => new RegExp(`[”"’»][^\\S\\n]*(?:\\n[^\\S\\n]*)?(?:${verbs})\\s+$`, "u");
const SPEAKS_AFTER = speechAfter(SPEECH);
const SPEAKS_BEFORE = speechBefore(SPEECH);
const TAGS_AFTER = speechAfter(`${SPEECH}|${SPEECH_WITH_QUOTES}`);
const TAGS_BEFORE = speechBefore(`${SPEECH}|${SPEECH_WITH_QUOTES}`);
const QUOTATION_MARK = /["“”«»‘]/;
const TITLE_BEFORE = /(\p{L}+)\.?\s+$/u;

const WORD_EDGE_AFTER = "(?![\\p{L}\\p{M}\\p{N}])";
const WORD_CHAR = /[\p{L}\p{M}\p{N}]/u;

/** A name as forms are compared: spaces collapsed, apostrophes straight. */
const formKey = (text: string): string => text.trim().replace(/\s+/g, " ").replace(/[’‘]/g, "'");

interface Form {
  /** Indexes into the codex; more than one means the form is ambiguous and names nobody. */
  owners: Set<number>;
  /** A whole name or alias, rather than one word of one. */
  whole: boolean;
}

/** Whether a codex status says the character is dead. */
export function isDeadStatus(status: string | undefined): boolean {
  return status !== undefined && DEAD.test(status) && !NOT_REALLY.test(status);
}

export function findDeadCharacterMentions(chapters: readonly ChapterText[], codex: readonly CodexCharacter[]): Finding[] {
  const dead = new Map<number, number>();
  codex.forEach((character, i) => {
    if (isDeadStatus(character.status) && character.statusSince !== undefined) dead.set(i, character.statusSince);
  });
  if (dead.size === 0) return [];

  // Every character's names, so that "Mrs. Bennet" is Mrs. Bennet even when Mr. Bennet is the dead one:
  // the alternation below tries longer forms first, and a form two characters share names neither.
  const forms = new Map<string, Form>();
  codex.forEach((character, i) => {
    for (const name of [character.name, ...character.aliases]) {
      const key = formKey(name);
      if (key === "") continue;
      const form = forms.get(key);
      if (!form) forms.set(key, { owners: new Set([i]), whole: true });
      else if (form.whole) form.owners.add(i);
      else forms.set(key, { owners: new Set([i]), whole: true });
    }
  });
  codex.forEach((character, i) => {
    for (const name of [character.name, ...character.aliases]) {
      const words = formKey(name).split(" ");
      if (words.length < 2) continue;
      for (const word of words) {
        const bare = word.replace(/\.$/, "");
        // "de" in "de Bourgh", "Mr." in "Mr. Bennet": not a way to refer to anyone on their own.
        if (bare.length < 2 || TITLES.has(bare.toLowerCase()) || bare[0] === bare[0]!.toLowerCase()) continue;
        const form = forms.get(bare);
        if (!form) forms.set(bare, { owners: new Set([i]), whole: false });
        else if (!form.whole) form.owners.add(i);
      }
    }
  });
  const titlesOf = (i: number): Set<string> => {
    const character = codex[i]!;
    const words = [character.name, ...character.aliases].flatMap((n) => formKey(n).split(" "));
    return new Set(words.map((w) => w.replace(/\.$/, "").toLowerCase()).filter((w) => TITLES.has(w)));
  };

  const alternation = [...forms.keys()]
    .sort((a, b) => b.length - a.length)
    .map((key) => key.split(" ").map((word) => escapeRegExp(word).replace(/'/g, "['’‘]")).join("\\s+"))
    .join("|");
  // The edge before a name is checked in the loop: a lookbehind does not compile on Obsidian for iOS
  // before 16.4, and a captured group before the names makes the engine try every position of the book.
  const pattern = new RegExp(`(?:${alternation})${WORD_EDGE_AFTER}`, "gu");
  const earliest = Math.min(...dead.values());

  const findings: Finding[] = [];
  for (const chapter of chapters) {
    if (chapter.chapter <= earliest) continue;
    const body = chapter.body;
    let lines: LineIndex | undefined;
    let quotes: Array<[number, number]> | undefined;
    let paragraphs: number[] | undefined;
    const reported = new Set<string>();
    for (const m of body.matchAll(pattern)) {
      const matched = m[0];
      if (m.index > 0 && WORD_CHAR.test(body[m.index - 1]!)) continue;
      const form = forms.get(formKey(matched));
      if (!form || form.owners.size !== 1) continue;
      const who = [...form.owners][0]!;
      const since = dead.get(who);
      if (since === undefined || chapter.chapter <= since) continue;
      const start = m.index;
      const end = start + matched.length;
      const character = codex[who]!;
      if (!form.whole) {
        // "Mrs. Bennet" when the dead one is Mr. Bennet: a title the character does not bear names someone else.
        const title = TITLE_BEFORE.exec(body.slice(Math.max(0, start - 16), start))?.[1]?.toLowerCase();
        if (title !== undefined && TITLES.has(title) && !titlesOf(who).has(title)) continue;
      }
      // "Will you come?" is not Will.
      if (!/\s/.test(matched) && COMMON_WORDS.has(matched.toLowerCase()) && isSentenceStart(body, start)) continue;

      const sentence = sentenceAt(body, start);
      const sentenceText = body.slice(sentence.start, sentence.end);
      if (MEMORY.test(sentenceText)) continue;
      const dedupe = `${who}:${sentence.start}`;
      if (reported.has(dedupe)) continue;
      reported.add(dedupe);

      quotes ??= quotedSpans(body);
      paragraphs ??= paragraphBreaks(body);
      lines ??= new LineIndex(body);
      const after = body.slice(end, end + 40);
      const before = body.slice(Math.max(0, start - 40), start);
      const speaks =
        SPEAKS_AFTER.test(after) || SPEAKS_BEFORE.test(before) || (QUOTATION_MARK.test(sentenceText) && (TAGS_AFTER.test(after) || TAGS_BEFORE.test(before)));
      const inDialogue = !speaks && spanAt(quotes, start) >= 0;
      let severity: Finding["severity"] = speaks ? "error" : inDialogue ? "info" : "warning";
      const paragraph = paragraphAround(body, paragraphs, start);
      const flashback = MEMORY.test(body.slice(paragraph.start, paragraph.end));
      if (flashback) severity = severity === "error" ? "warning" : "info";

      const name = character.name;
      let why = `${name} has been dead since ${character.statusFrom ?? `chapter ${since}`} (codex status: “${character.status!.trim()}”), `;
      why += speaks
        ? `yet here ${name} speaks.`
        : inDialogue
          ? `and is named here in dialogue: fine if the speaker is talking about ${name}, wrong if ${name} is in the scene.`
          : `yet here ${name} appears as if present.`;
      if (flashback) why += " The paragraph speaks of memory or the past, so this may be a flashback.";
      findings.push({
        severity,
        category: "character",
        quote: sentence.end - sentence.start <= 300 ? sentenceText : excerpt(body, start, end, 120, sentence),
        where: { chapter: chapter.chapter, line: lines.lineAt(start) },
        why,
        suggestedFix: `If this is a memory or a flashback, make that clear in the sentence; if ${name} should be alive here, correct the codex; otherwise take ${name} out of the scene.`,
        check: "dead-character",
      });
    }
  }
  return findings;
}

/** The paragraph holding `offset`, from the sorted paragraph breaks. */
function paragraphAround(text: string, breaks: readonly number[], offset: number): { start: number; end: number } {
  let low = 0;
  let high = breaks.length;
  // The first break at or after offset.
  while (low < high) {
    const mid = (low + high) >> 1;
    if (breaks[mid]! < offset) low = mid + 1;
    else high = mid;
  }
  const end = low < breaks.length ? breaks[low]! : text.length;
  const start = low > 0 ? text.indexOf("\n", breaks[low - 1]! + 1) + 1 : 0;
  return { start, end };
}
