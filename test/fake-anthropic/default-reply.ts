/**
 * What the fake "model" says when a test gives no script: deterministic prose that names the people and
 * places of the last user message, sized to the request's max_tokens. End-to-end tests can then check that a
 * name they put in a prompt comes back out in the draft, without a real model.
 */
import { seedFromText } from "../../shared/util/seeded-random";
import { CHARS_PER_TOKEN } from "./prompt";

/** The longest default reply, in tokens: long enough for a chapter-sized draft, short enough to keep tests fast. */
export const DEFAULT_REPLY_MAX_TOKENS = 4096;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The text of the last user message (its text blocks and tool results, joined). */
export function lastUserText(body: Json): string {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  for (let i = messages.length - 1; i >= 0; i--) {
    const message: unknown = messages[i];
    if (!isObject(message) || message.role !== "user") continue;
    return contentText(message.content);
  }
  return "";
}

function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((block) => {
      if (!isObject(block)) return "";
      if (typeof block.text === "string") return block.text;
      if (block.type === "tool_result") return contentText(block.content);
      return "";
    })
    .filter((text) => text.length > 0)
    .join("\n");
}

/**
 * Capitalised words that start sentences or are otherwise common, which would make poor "names". The list is
 * short on purpose: a stray word in a fake reply costs nothing, a missing real name makes a test fail.
 */
const NOT_NAMES = new Set(
  (
    "A An The This That These Those It Its He She They We You I Me My Our Your His Her Their There Here Then " +
    "When Where What Which Who Whom Why How If Else And But Or Nor So Yet For To In On At By Of From With Without " +
    "Into Onto Over Under After Before During Since Until While As Do Does Did Is Are Was Were Be Been Being Have " +
    "Has Had Not No Yes All Any Each Every Some Most Many Much More Less Few One Two Three Write Rewrite Draft " +
    "Revise Edit Summarise Summarize Check Return Use Keep Make Give List Describe Explain Continue Chapter Scene " +
    "Part Book Story Title Note Notes Please Only Also Now Just Very Do Don't Never Always Output Reply Answer " +
    "Task Context Instructions Outline Brief Codex Bible Previous Next Last First Second Third Mr Mrs Ms Dr"
  ).split(" "),
);

/**
 * Names mentioned in a prompt: `[[Wiki Links]]` (without alias or heading) first, then runs of capitalised
 * words that are not common sentence starters. Order of first appearance, no duplicates.
 */
export function namesIn(text: string, limit = 8): string[] {
  const names: string[] = [];
  const add = (name: string): void => {
    const trimmed = name.trim();
    if (trimmed.length > 0 && !names.includes(trimmed)) names.push(trimmed);
  };
  for (const match of text.matchAll(/\[\[([^\]|#^]+)(?:[#|^][^\]]*)?\]\]/g)) add(match[1] ?? "");
  const withoutLinks = text.replace(/\[\[[^\]]*\]\]/g, " ");
  for (const match of withoutLinks.matchAll(/\p{Lu}[\p{Ll}'’-]+(?:[ \t]+\p{Lu}[\p{Ll}'’-]+)*/gu)) {
    const words = match[0].split(/[ \t]+/);
    while (words.length > 0 && NOT_NAMES.has(words[0] ?? "")) words.shift();
    if (words.length > 0 && !words.every((word) => NOT_NAMES.has(word))) add(words.join(" "));
  }
  return names.slice(0, limit);
}

const SENTENCES: ReadonlyArray<(a: string, b: string) => string> = [
  (a, b) => `${a} stood at the window and turned over what ${b} had said.`,
  (a, b) => `The wind came off the water, and ${a} waited for ${b} without a word.`,
  (a) => `Somewhere below, a door closed, and ${a} counted the steps on the stairs.`,
  (a, b) => `${b} had kept the letter for three winters; ${a} knew it by the fold.`,
  (a) => `The lamp needed oil again, and ${a} said so, to no one in particular.`,
  (a, b) => `When ${b} finally spoke, it was about the weather, as it always was with ${a}.`,
  (a) => `Salt had crept into everything that ${a} owned, even the pages of the log.`,
  (a, b) => `${a} did not ask the question, and ${b} did not offer the answer.`,
];

/**
 * Prose of at most `maxChars` characters (cut at a word boundary), in paragraphs of five sentences, naming
 * `names` in turn. Falls back to generic characters when the prompt names no one.
 */
export function prose(names: readonly string[], maxChars: number, seedText: string): string {
  const cast = names.length > 0 ? names : ["the keeper", "the stranger"];
  // The same prompt always gets the same reply.
  const seed = seedFromText(seedText);
  const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
  let text = "";
  for (let i = 0; text.length < maxChars; i++) {
    const a = cast[(seed + i) % cast.length] ?? "the keeper";
    const b = cast[(seed + i + 1) % cast.length] ?? "the stranger";
    const sentence = capitalise((SENTENCES[(seed + i) % SENTENCES.length] ?? SENTENCES[0]!)(a, b === a ? "the stranger" : b));
    const separator = text.length === 0 ? "" : i % 5 === 0 ? "\n\n" : " ";
    text += separator + sentence;
  }
  if (text.length <= maxChars) return text;
  const cut = text.slice(0, maxChars);
  const lastSpace = cut.lastIndexOf(" ");
  return lastSpace > maxChars / 2 ? cut.slice(0, lastSpace) : cut;
}

/** The default reply text for a request with this body: see the module comment. */
export function defaultReplyText(body: Json): string {
  const prompt = lastUserText(body);
  const maxTokens = typeof body.max_tokens === "number" && body.max_tokens > 0 ? body.max_tokens : 1;
  // 90% of the budget, so a default reply ends its turn instead of hitting max_tokens.
  const tokens = Math.max(1, Math.floor(Math.min(maxTokens, DEFAULT_REPLY_MAX_TOKENS) * 0.9));
  return prose(namesIn(prompt), tokens * CHARS_PER_TOKEN, prompt);
}
