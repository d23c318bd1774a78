/**
 * The offline simulator: an {@link Llm} that answers every agent request at once, without a network or a
 * model, so Bookwright's whole pipeline (queue, agents, notes, checks, revisions) can be shown and tried on
 * a machine with no API key (`npm run demo`, `bookwright generate --simulate`).
 *
 * What it writes is placeholder text, and says so: a chapter opens with a callout naming the simulator, and
 * the briefs' goals and the chapter summaries begin with "Simulated". It reads the prompt only to be
 * plausible: the chapter number from the task line, the characters from the codex sheets in the prompt
 * (those present in the chapter first), the outline's line for the chapter, a place from the story bible.
 *
 * - A request with a tool gets a tool call whose input is valid against the tool's JSON schema
 *   (schema-instance.ts), with values chosen by where they sit (`beats[i].summary`, `events[i].when`…):
 *   three beats, no continuity findings, no invented characters, three timeline events.
 * - A request without one gets placeholder prose (simulated-prose.ts): a chapter of the brief's
 *   `targetWords`, anything else about a quarter of its `maxTokens`. A reply longer than `maxTokens` stops
 *   at the limit with `max_tokens`, as a model's would, and a continuation request gets the rest.
 * - The same request always gets the same reply. Usage is estimated at four characters a token, so the
 *   progress and cost displays have numbers to show; the model id it reports is {@link SIMULATOR_MODEL},
 *   which has no price, so the cost is $0.
 */
import { seedFromText } from "../util/seeded-random";
import { LlmError, type Llm, type LlmRequest, type LlmResponse } from "./llm";
import { instanceOf, type InstanceChoices, type InstancePath } from "./schema-instance";
import { placeholderProse } from "./simulated-prose";

/** The model id the simulator answers as; give it to every agent so costs are computed as $0. */
export const SIMULATOR_MODEL = "bookwright-simulator";

/** Characters a token, for the usage estimate (the ratio the context builder uses too). */
const CHARS_PER_TOKEN = 4;
/** What a brief asks for when the simulator writes it: short chapters, so a demo stays quick. */
const SIMULATED_TARGET_WORDS = 1_500;

/** The length the simulator's brief asks for chapter `n`: 1,300 to 1,700 words, varying as a model's plans would. */
export function simulatedTargetWords(n: number): number {
  return SIMULATED_TARGET_WORDS - 200 + ((n * 3) % 5) * 100;
}

/** The first line of every simulated chapter: what it is, and how to get real prose. */
export const SIMULATED_CHAPTER_NOTICE = [
  "> [!warning] Simulator placeholder text",
  "> This chapter was written by Bookwright's offline simulator, not by a language model: sentences put together from word lists, naming the book's characters, so the queue, the checks and the notes can be tried without a model. Connect one (set ANTHROPIC_API_KEY, or BOOKWRIGHT_BASE_URL for a local server such as Ollama or LM Studio) and run `bookwright generate` with `--rewrite` to write it for real.",
].join("\n");

export class SimulatedLlm implements Llm {
  complete(request: LlmRequest): Promise<LlmResponse> {
    if (request.signal?.aborted) return Promise.reject(new LlmError("aborted", "The request was cancelled."));
    const facts = readPrompt(request);
    const inputTokens = estimate(promptText(request));
    if (request.tool) {
      const toolInput = instanceOf(request.tool.inputSchema, { words: [...facts.present, "simulated"], choose: choicesFor(facts) });
      const json = JSON.stringify(toolInput);
      request.onText?.(json, json.length);
      return Promise.resolve(reply(request, "", "tool_use", inputTokens, estimate(json), toolInput));
    }
    return Promise.resolve(this.prose(request, facts, inputTokens));
  }

  private prose(request: LlmRequest, facts: PromptFacts, inputTokens: number): LlmResponse {
    const whole = proseFor(request, facts);
    // A continuation (the text so far sent back as the assistant's turn) gets what follows it.
    const soFar = request.messages
      .filter((m) => m.role === "assistant")
      .flatMap((m) => m.content.map((b) => b.text))
      .join("")
      .trimEnd();
    const rest = soFar !== "" && whole.startsWith(soFar) ? whole.slice(soFar.length) : whole;
    const limit = Math.max(1, request.maxTokens) * CHARS_PER_TOKEN;
    let text = rest;
    let stop = "end_turn";
    if (rest.length > limit) {
      // Cut where a model's reply would be cut: at the limit, here on a word boundary.
      const space = rest.lastIndexOf(" ", limit);
      text = rest.slice(0, space > limit / 2 ? space : limit);
      stop = "max_tokens";
    }
    // Streamed a paragraph at a time, so progress displays move as they do with a model.
    let received = 0;
    while (received < text.length) {
      const end = text.indexOf("\n\n", received);
      const next = end === -1 ? text.length : end + 2;
      request.onText?.(text.slice(received, next), next);
      received = next;
    }
    return reply(request, text, stop, inputTokens, estimate(text));
  }
}

/** What the simulator reads from a prompt; every field has a fallback for prompts that lack it. */
export interface PromptFacts {
  chapter: number;
  /** Everyone in the codex, the protagonist first. */
  cast: string[];
  /** Those present in this chapter (from the brief or the sheets of the characters present), else the cast. */
  present: string[];
  /** Each person present with their aliases, for prose: a person is called by any of them. */
  callNames: string[][];
  place?: string;
  /** The outline's line for this chapter: its title and what happens. */
  outline?: { title?: string; gist?: string };
  /** The brief the writer is given, when this is a writer request. */
  brief?: { targetWords?: number };
}

export function readPrompt(request: Pick<LlmRequest, "system" | "messages">): PromptFacts {
  const system = request.system.map((b) => b.text).join("\n\n");
  // The task is the first user turn: later ones are a repair or a continuation.
  const task = request.messages.find((m) => m.role === "user")?.content.map((b) => b.text).join("\n\n") ?? "";
  const chapters = [...task.matchAll(/\bchapter (\d+)\b/gi)];
  const chapter = Number(chapters.at(-1)?.[1] ?? 1);

  const sheets = [...`${system}\n${task}`.matchAll(/^### (.+?)(?: \(also: (.+)\))?\n(?:Role: (.+))?/gm)];
  const aliases = new Map<string, string[]>();
  const roles = new Map<string, string>();
  for (const [, name, also, role] of sheets) {
    if (!name || aliases.has(name.trim())) continue;
    aliases.set(name.trim(), also ? also.split(",").map((a) => a.trim()).filter(Boolean) : []);
    if (role) roles.set(name.trim(), role.trim());
  }
  const cast = [...aliases.keys()].sort((a, b) => Number(isLead(roles.get(b))) - Number(isLead(roles.get(a))));

  const brief = jsonAfter(task, /^## Brief for chapter \d+\n/m);
  const briefPresent = Array.isArray(brief?.charactersPresent) ? brief.charactersPresent.filter((n): n is string => typeof n === "string" && n.trim() !== "") : [];
  const presentSection = section(task, "## Characters in this chapter");
  const sheetsPresent = [...presentSection.matchAll(/^### (.+?)(?: \(also: .+\))?$/gm)].map((m) => m[1]!.trim());
  const byCast = (a: string, b: string) => rank(cast, a) - rank(cast, b);
  const present = briefPresent.length > 0 ? briefPresent : sheetsPresent.length > 0 ? [...sheetsPresent].sort(byCast) : cast;
  const callNames = present.map((name) => [name, ...(aliases.get(name) ?? [])]);

  // The story bible and the outline are the writer's notes and have headings of their own.
  const bible = section(system, "## Story bible", ["## Outline"]);
  const outline = section(system, "## Outline", ["## Codex"]);
  const outlineLine = new RegExp(`^\\s*${chapter}[.)]\\s+(.+)$`, "m").exec(outline)?.[1];
  const [title, gist] = outlineLine ? outlineLine.split(/\s+[—–]\s+|\s+-\s+/, 2) : [];
  const targetWords = typeof brief?.targetWords === "number" ? brief.targetWords : undefined;
  const place = placeIn(bible, [...aliases.entries()].flatMap(([n, a]) => [n, ...a]));
  return {
    chapter,
    cast,
    present,
    callNames,
    ...(place ? { place } : {}),
    ...(outlineLine ? { outline: { ...(title ? { title: title.trim() } : {}), ...(gist ? { gist: gist.trim().replace(/\.$/, "") } : {}) } } : {}),
    ...(brief ? { brief: targetWords !== undefined ? { targetWords } : {} } : {}),
  };
}

/** Where `name` stands in the cast (the lead first); names not in it go last. */
function rank(cast: string[], name: string): number {
  const i = cast.indexOf(name);
  return i === -1 ? cast.length : i;
}

function isLead(role: string | undefined): boolean {
  return role !== undefined && /protagonist|lead|main/i.test(role);
}

/** The text from `heading` to the first of `until` (by default the next heading of level one or two). */
function section(text: string, heading: string, until?: string[]): string {
  const start = text.indexOf(heading);
  if (start === -1) return "";
  const body = text.slice(start + heading.length);
  const ends = until ? until.map((u) => body.indexOf(`\n${u}`)).filter((i) => i >= 0) : [body.search(/^#{1,2} /m)].filter((i) => i >= 0);
  return ends.length === 0 ? body : body.slice(0, Math.min(...ends));
}

/** The JSON object that follows `marker` in `text`, or undefined. */
function jsonAfter(text: string, marker: RegExp): Record<string, unknown> | undefined {
  const match = marker.exec(text);
  if (!match) return undefined;
  const rest = text.slice(match.index + match[0].length);
  const end = rest.search(/^}/m);
  if (end === -1) return undefined;
  try {
    const value: unknown = JSON.parse(rest.slice(0, end + 1));
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Words that start a sentence in capitals without being part of a place's name. */
const SENTENCE_STARTERS = new Set(["The", "A", "An", "In", "At", "On", "When", "Where", "After", "Before", "Nobody", "Every", "Her", "His", "Their"]);

/**
 * A run of two or more capitalised words in the story bible that is no one's name ("the Skerry Light"):
 * most often the book's main place. A sentence's first word is not part of it ("The Skerry Light").
 */
function placeIn(bible: string, names: string[]): string | undefined {
  const body = bible.replace(/^#+ .*$/gm, " ");
  for (const match of body.matchAll(/\b\p{Lu}\p{Ll}+(?: \p{Lu}\p{Ll}+)+/gu)) {
    const words = match[0].split(" ");
    while (words.length > 0 && SENTENCE_STARTERS.has(words[0]!)) words.shift();
    const candidate = words.join(" ");
    if (words.length >= 2 && !names.some((n) => candidate.includes(n) || n.includes(candidate))) return candidate;
  }
  return undefined;
}

/** Values for the agents' structured replies, by where they sit (see the module comment). */
function choicesFor(facts: PromptFacts): InstanceChoices {
  const n = facts.chapter;
  const people = facts.present.length > 0 ? facts.present : ["the protagonist"];
  const lead = facts.cast[0] ?? people[0]!;
  const other = people.find((p) => p !== lead) ?? people[0]!;
  const place = facts.place ?? "the book's main setting";
  const keyOf = (path: InstancePath) => path.filter((p): p is string => typeof p === "string").join(".");
  const indexOf = (path: InstancePath, at = 0) => (path.filter((p): p is number => typeof p === "number")[at] ?? 0);
  const person = (i: number) => people[i % people.length]!;
  const beats = [
    `${lead} takes up what chapter ${n - 1 > 0 ? n - 1 : "one"} left unfinished at ${place}.`,
    `${other === lead ? "News from outside" : other} changes what ${lead} meant to do.`,
    `${lead} decides what cannot wait until morning.`,
  ];
  const moments = ["morning", "afternoon", "night"];
  // Turned by the chapter number, so each chapter's notes differ a little, as a model's would.
  const happenings = [
    (who: string) => `${who} begins the day's work at ${place}`,
    (who: string) => `${who} brings news`,
    (who: string) => `${who} makes a decision`,
    (who: string) => `${who} finds something out of place`,
    (who: string) => `${who} keeps a promise`,
  ];
  const events = moments.map((_, i) => happenings[(n + i) % happenings.length]!(person(i)));
  const moods = ["watchful", "tired", "determined", "uneasy", "hopeful"];
  const strings: Record<string, (path: InstancePath) => string> = {
    title: () => facts.outline?.title ?? `Chapter ${n}`,
    goal: () => `Simulated plan: ${facts.outline?.gist ?? `carry ${lead}'s story on from chapter ${n - 1}`}.`,
    pov: () => lead,
    setting: () => (n > 1 ? `${place}, after the events of chapter ${n - 1}` : `${place}, where the story opens`),
    charactersPresent: (path) => person(indexOf(path)),
    "beats.summary": (path) => beats[indexOf(path) % beats.length]!,
    "beats.characters": (path) => person(indexOf(path) + indexOf(path, 1)),
    endingHook: () => `${lead} finds something that cannot wait for chapter ${n + 1}.`,
    summary: () => `Simulated summary of chapter ${n}: ${people.join(" and ")} ${facts.outline?.gist ? `(${facts.outline.gist})` : "carry the story on"} at ${place}; the chapter ends with ${lead} facing what chapter ${n + 1} will bring.`,
    "events.when": (path) => `Chapter ${n}, ${moments[indexOf(path) % moments.length]}`,
    "events.what": (path) => `${events[indexOf(path) % events.length]} (simulated)`,
    "events.who": (path) => person(indexOf(path)),
    "appearances.name": (path) => person(indexOf(path)),
    "appearances.role": () => `present in chapter ${n} (simulated)`,
    "appearances.emotionalState": (path) => moods[(n + indexOf(path)) % moods.length]!,
  };
  const counts: Record<string, number> = {
    charactersPresent: people.length,
    beats: beats.length,
    "beats.characters": Math.min(2, people.length),
    "beats.factsChanged": 0,
    findings: 0,
    events: events.length,
    "events.who": 1,
    newCharacters: 0,
    appearances: people.length,
    changes: 0,
    relationships: 0,
  };
  return {
    string: (path) => strings[keyOf(path)]?.(path),
    count: (path) => counts[keyOf(path)],
    number: (path) => (keyOf(path) === "targetWords" ? simulatedTargetWords(n) : keyOf(path) === "events.order" ? indexOf(path) : undefined),
    optional: (path) => keyOf(path) === "title" && facts.outline?.title !== undefined,
  };
}

/** The whole prose reply for a request (a continuation is cut from it). */
function proseFor(request: LlmRequest, facts: PromptFacts): string {
  const seed = seedFromText(promptText({ ...request, messages: request.messages.filter((m) => m.role === "user").slice(0, 1) }));
  const cast = facts.callNames.length > 0 ? facts.callNames : facts.cast.map((name) => [name]);
  const places = facts.place ? [facts.place] : [];
  if (facts.brief) {
    const words = facts.brief.targetWords ?? SIMULATED_TARGET_WORDS;
    return `${SIMULATED_CHAPTER_NOTICE}\n\n${placeholderProse({ cast, places, words, seed })}`;
  }
  // A summary or a note, not a chapter: a quarter of the budget is about what a model writes for one.
  const words = Math.max(20, Math.round((request.maxTokens * CHARS_PER_TOKEN) / 4 / 6));
  return `(Simulated text, not written by a model.) ${placeholderProse({ cast, places, words, seed })}`;
}

function promptText(request: Pick<LlmRequest, "system" | "messages">): string {
  return [...request.system.map((b) => b.text), ...request.messages.flatMap((m) => m.content.map((b) => b.text))].join("\n");
}

function estimate(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

function reply(request: LlmRequest, text: string, stopReason: string, inputTokens: number, outputTokens: number, toolInput?: unknown): LlmResponse {
  return {
    text,
    ...(toolInput !== undefined ? { toolInput } : {}),
    stopReason,
    // Nothing is cached: there is no cache to read from, and no price to save.
    usage: { inputTokens, outputTokens, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 },
    model: request.model,
  };
}
