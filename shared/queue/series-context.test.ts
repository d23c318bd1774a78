import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { countPromptTokens, defaultScript, startFakeAnthropic, tokensOf, type FakeAnthropic, type RecordedRequest, type ScriptedReply } from "../../test/fake-anthropic/server";
import { parseFrontmatter, setFrontmatterKeys } from "../book/frontmatter";
import { importManuscript, type ImportedChapter } from "../import/import-manuscript";
import { AnthropicLlm } from "../llm/anthropic-llm";
import { MemoryVault } from "../testing/memory-vault";
import { TRILOGY_BOOKS, TRILOGY_FOLDER, trilogyFiles, trilogyParts } from "../testing/series-fixture";
import { AgentExecutor } from "./agent-executor";
import { buildBatch } from "./graph";
import type { JobKind } from "./jobs";
import { readReport } from "./report-model";
import { NoteRevisions } from "./revisions";
import { bodyOf } from "./safe-write";
import { readStory } from "./story";

let server: FakeAnthropic;
beforeEach(async () => {
  server = await startFakeAnthropic({ minCacheableTokens: 50 });
});
afterEach(async () => {
  await server.close();
});

/** What the model was sent (system blocks and messages), as one string; the tools are left out. */
function promptOf(request: RecordedRequest): string {
  const system = Array.isArray(request.body.system) ? request.body.system.map((b) => b.text).join("\n") : (request.body.system ?? "");
  const messages = request.body.messages.map((m) => (typeof m.content === "string" ? m.content : m.content.map((b) => ("text" in b ? b.text : "")).join("\n"))).join("\n");
  return `${system}\n${messages}`;
}

const SOLO = "The Salt Road";
const yaml = (lines: string[]) => `---\n${lines.join("\n")}\n---\n`;

/** A standalone book three chapters in, with characters whose facts change, a timeline and chapter 3's brief. */
function standaloneBook(): MemoryVault {
  const chapter = (n: number, title: string, summary: string, body: string): [string, string] => [
    `${SOLO}/Chapters/0${n} ${title}.md`,
    yaml(["bookwright: chapter", `chapter: ${n}`, `title: ${title}`, "status: written", "continuity: pass", `summary: ${summary}`]) + `\n${body}\n`,
  ];
  return new MemoryVault().seed({
    [`${SOLO}/Book.md`]: yaml(["bookwright: book", "title: The Salt Road", "author: Ann Example", "language: en", "genre: literary"]) + "A novel.\n",
    [`${SOLO}/Story Bible.md`]: yaml(["bookwright: story-bible", "pov: close third", "tense: past"]) + "Premise: Mara Quill walks the salt road to find her brother.\nTone: spare, cold, exact.\n",
    [`${SOLO}/Outline.md`]: yaml(["bookwright: outline"]) + "1. The flats.\n2. The well.\n3. The brother.\n4. The sea.\n",
    [`${SOLO}/Characters/Mara.md`]: yaml(["bookwright: character", "name: Mara Quill", "aliases: [Mara]", "role: protagonist", "changes:", "  - { chapter: 1, kind: location, value: the salt flats }", "  - { chapter: 2, kind: knowledge, value: the well is poisoned }"]) + "A surveyor; counts her steps.\n",
    [`${SOLO}/Characters/Tomas.md`]: yaml(["bookwright: character", "name: Tomas Quill", "aliases: [Tomas]", "role: brother", "changes:", "  - { chapter: 2, kind: status, value: dead }"]) + "Her brother, a salt-cutter.\n",
    [`${SOLO}/Timeline.md`]: yaml(["bookwright: timeline"]) + "# Timeline\n\n## [[01 The flats|Chapter 1]]\n\n- **Day 1** — Mara sets out (Mara Quill)\n\n## [[02 The well|Chapter 2]]\n\n- **Day 2** — Tomas dies at the well (Tomas Quill)\n",
    [`${SOLO}/Briefs/03 The brother.md`]: yaml(["bookwright: brief", "chapter: 3"]) +
      "\n# Brief for chapter 3: The brother\n\n**Goal:** Mara finds the grave.\n**POV:** Mara Quill\n**Setting:** the salt road, day 3\n**Characters:** Mara Quill\n**Target words:** 800\n\n## Beats\n\n1. Mara finds the grave.\n    - Characters: Mara Quill\n\n## Ending hook\n\nThe stone has her name on it.\n",
    ...Object.fromEntries([
      chapter(1, "The flats", "Mara sets out across the flats.", "Mara walked. The salt cracked under her boots."),
      chapter(2, "The well", "Tomas dies at the poisoned well.", "Tomas drank from the well and did not get up again."),
      chapter(3, "The brother", "Mara finds the grave.", "Mara found the stone at noon. Tomas Quill walked up behind her."),
    ]),
  });
}

/** Runs `kinds` of chapter `chapter`'s jobs in order (and applies them when `apply`); returns the first request each sent. */
async function runJobs(vault: MemoryVault, bookFolder: string, chapter: number, kinds: JobKind[], apply = false): Promise<RecordedRequest[]> {
  const llm = new AnthropicLlm({ apiKey: "test", baseURL: server.url, maxRetries: 0 });
  const executor = new AgentExecutor({ vault, bookFolder, llm, revisions: new NoteRevisions(vault, bookFolder), batchStart: chapter, now: () => 0 });
  const jobs = buildBatch({ batchId: "b", bookFolder, deviceId: "d", chapters: [chapter], mode: "sequential", now: 0 }).jobs;
  const sent: RecordedRequest[] = [];
  for (const kind of kinds) {
    const from = server.requests.length;
    const job = jobs.find((j) => j.kind === kind)!;
    const result = await executor.execute(job, { signal: new AbortController().signal, onProgress: () => {} });
    if (apply) await executor.apply(job, result.output);
    sent.push(server.requests[from]!);
  }
  return sent;
}

async function promptsOfJobs(vault: MemoryVault, bookFolder: string, chapter: number, kinds: JobKind[]): Promise<string[]> {
  return (await runJobs(vault, bookFolder, chapter, kinds)).map(promptOf);
}

/**
 * The five agents' prompts for chapter 3 of the standalone book, as recorded before series support was
 * added. A prompt change made on purpose regenerates it: WRITE_STANDALONE_PROMPTS=1 npx vitest run <this file>.
 */
const STANDALONE_PROMPTS = fileURLToPath(new URL("./testdata/standalone-prompts.txt", import.meta.url));

describe("a standalone book", () => {
  it("sends the same prompts as before series existed, byte for byte", async () => {
    const prompts = await promptsOfJobs(standaloneBook(), SOLO, 3, ["brief", "write", "continuity", "characters", "timeline"]);
    const text = prompts.join("\n\n=====\n\n");
    if (process.env.WRITE_STANDALONE_PROMPTS) writeFileSync(STANDALONE_PROMPTS, text);
    expect(text).toBe(readFileSync(STANDALONE_PROMPTS, "utf8"));
    const story = await readStory(standaloneBook(), SOLO);
    expect(story.series).toBeUndefined();
    expect(story.material).not.toHaveProperty("seriesContext");
  });
});

// --- The trilogy ------------------------------------------------------------------------------------------

const corpusPath = fileURLToPath(new URL("../../../shared/corpus/pride-and-prejudice.gutenberg-1342.txt", import.meta.url));
let chapters: ImportedChapter[];
beforeAll(() => {
  chapters = importManuscript(readFileSync(corpusPath), { fileName: "pride-and-prejudice.txt" }).chapters;
});

const [FIRST, SECOND, THIRD] = TRILOGY_BOOKS.map((title) => `${TRILOGY_FOLDER}/${title}`) as [string, string, string];
const DARCY = `${TRILOGY_FOLDER}/Characters/Fitzwilliam Darcy.md`;
const ELIZABETH = `${TRILOGY_FOLDER}/Characters/Elizabeth Bennet.md`;

/** The trilogy, with Darcy dead at the end of book 1's chapter 12 (planted: the corpus has him very much alive later). */
async function trilogy(): Promise<MemoryVault> {
  const vault = new MemoryVault().seed(trilogyFiles(chapters));
  const text = await vault.read(DARCY);
  const changes = parseFrontmatter(DARCY, text).data!.changes as unknown[];
  await vault.write(DARCY, setFrontmatterKeys(text, { changes: [...changes, { book: TRILOGY_BOOKS[0], chapter: 12, kind: "status", value: "dead" }] }));
  return vault;
}

/** The task line every prompt ends with says which agent it is. */
function agentOf(prompt: string): "architect" | "continuity" | "characters" | "other" {
  if (/Write the brief for chapter \d+\.\s*$/.test(prompt)) return "architect";
  if (/Check chapter \d+ against everything established before it\.\s*$/.test(prompt)) return "continuity";
  if (/Update the codex from chapter \d+\.\s*$/.test(prompt)) return "characters";
  return "other";
}

/** Darcy's codex entry says he died in book 1, chapter 12: the context carried the earlier book's fact. */
const DARCY_DEAD_IN_BOOK_1 = /### Fitzwilliam Darcy[^\n]*\n(?:[^\n#]*\n)*?Status: dead \(book 1, chapter 12\)/;

/**
 * The "model": Continuity reports Darcy walking about only if the prompt told it he died in book 1 (so a
 * finding proves the context carried the earlier fact), quoting the chapter's first sentence that names
 * him; Characters records a new fact about Elizabeth; everything else gets the default reply.
 */
function trilogyScript(request: RecordedRequest): ScriptedReply {
  const prompt = promptOf(request);
  const chapter = Number(/(\d+)\D*$/.exec(prompt.trimEnd())?.[1] ?? 0);
  switch (agentOf(prompt)) {
    case "continuity": {
      const text = new RegExp(`## Chapter ${chapter}\\n([\\s\\S]*)\\n\\nCheck chapter`).exec(prompt)?.[1] ?? "";
      const alive = /(?:^|[.!?]\s+)([^.!?]*\bDarcy\b[^.!?]*[.!?])/.exec(text)?.[1];
      const findings = DARCY_DEAD_IN_BOOK_1.test(prompt) && alive
        ? [{
            severity: "error", category: "character", quote: alive.trim(), where: "where Darcy is first named",
            why: "Darcy died in book 1, chapter 12, yet here he acts.",
            earlierFact: { quote: "Fitzwilliam Darcy: status dead", chapter: 12, book: 1, bookTitle: TRILOGY_BOOKS[0] },
            suggestedFix: "Make it a memory, or correct the codex.",
          }]
        : [];
      return { toolInput: { overall: findings.length ? "fail" : "pass", findings, summary: `Summary of chapter ${chapter}.` } };
    }
    case "characters":
      return {
        toolInput: {
          newCharacters: [{ name: "Mrs. Gardiner", aliases: ["Mrs Gardiner"], role: "aunt", description: "Elizabeth's aunt, who writes to her." }],
          appearances: [{ name: "Elizabeth Bennet", role: "reader of the letter", emotionalState: "astonished" }],
          changes: [{ name: "Elizabeth Bennet", kind: "knowledge", value: `what chapter ${chapter} revealed` }],
          relationships: [],
        },
      };
    default:
      return defaultScript(request);
  }
}

describe("a book of a series against the fake server", () => {
  beforeEach(() => server.setScript(trilogyScript));

  it("gives book 3 the series bible, books 1 and 2 rolled up and earlier facts, within 1.3 × book 1's prompt", async () => {
    const vault = await trilogy();
    const [architect1, continuity1] = await runJobs(vault, FIRST, 10, ["brief", "continuity"]);
    const [architect3, continuity3] = await runJobs(vault, THIRD, 10, ["brief", "continuity"]);
    for (const request of [architect3!, continuity3!]) {
      const prompt = promptOf(request);
      expect(prompt).toContain("## The series: Netherfield");
      expect(prompt).toContain("An entailed estate: Longbourn passes to Mr. Collins.");
      expect(prompt).toContain(`Book 1: ${TRILOGY_BOOKS[0]}`);
      expect(prompt).toContain(`Book 2: ${TRILOGY_BOOKS[1]}`);
      expect(prompt).not.toContain(`Book 3: ${TRILOGY_BOOKS[2]}`);
      // Book 2's last chapter keeps its own summary; the chapter numbers are book 2's.
      const book2 = trilogyParts(chapters)[1]!;
      const lastSummary = book2.at(-1)!.text.replace(/\s+/g, " ").trim().split(" ").slice(0, 40).join(" ");
      expect(prompt).toContain(`Book 2, chapter ${book2.length}: ${lastSummary}`);
      // The series characters' facts from book 1 are known from the start, labelled with their place.
      expect(prompt).toContain("Last seen: Longbourn (book 1, chapter 10)");
      expect(prompt).toMatch(DARCY_DEAD_IN_BOOK_1);
    }
    // The checker sees Elizabeth's full sheet, book 1's trait included, and is told how to cite it.
    expect(promptOf(continuity3!)).toContain("Traits: quick to judge (book 1, chapter 3)");
    expect(promptOf(continuity3!)).toContain("give its book number and title with its chapter in earlierFact");
    // Book 1 has the series and its bible, but no earlier books and no facts from them.
    for (const request of [architect1!, continuity1!]) {
      const prompt = promptOf(request);
      expect(prompt).toContain("This book is book 1 of the series Netherfield");
      expect(prompt).toContain("An entailed estate");
      expect(prompt).not.toContain("## Earlier books");
      expect(prompt).not.toContain("Last seen: Longbourn (book");
      expect(prompt).not.toMatch(DARCY_DEAD_IN_BOOK_1);
    }

    // Measured as the fake server counts a request (its token estimate, tools included).
    const tokens = (request: RecordedRequest) => countPromptTokens(request.body as never);
    const ratios = { architect: tokens(architect3!) / tokens(architect1!), continuity: tokens(continuity3!) / tokens(continuity1!) };
    // The checked chapters differ in length (book 3's chapter 10 is the longer): the ratio without them shows the context alone.
    const chapterTokens = async (folder: string) => tokensOf(bodyOf(await vault.read((await readStory(vault, folder)).info.chapters.find((c) => c.number === 10)!.path)).trim());
    const [chapter1, chapter3] = [await chapterTokens(FIRST), await chapterTokens(THIRD)];
    const contextRatio = (tokens(continuity3!) - chapter3) / (tokens(continuity1!) - chapter1);
    console.log(
      `prompt tokens at chapter 10, book 3 against book 1: architect ${tokens(architect3!)} / ${tokens(architect1!)} = ×${ratios.architect.toFixed(3)}; ` +
        `continuity ${tokens(continuity3!)} / ${tokens(continuity1!)} = ×${ratios.continuity.toFixed(3)} ` +
        `(chapters checked: ${chapter3} and ${chapter1} tokens; without them ×${contextRatio.toFixed(3)})`,
    );
    expect(ratios.architect).toBeLessThanOrEqual(1.3);
    expect(ratios.continuity).toBeLessThanOrEqual(1.3);
  });

  it("lets book 2's first chapter read how book 1 ends, and leaves chapter 2 with its own chapter 1", async () => {
    const vault = await trilogy();
    const [writer1] = await runJobs(vault, SECOND, 1, ["brief"]);
    const prompt = promptOf(writer1!);
    const last = trilogyParts(chapters)[0]!.length;
    expect(prompt).toContain(`## How book 1 (${TRILOGY_BOOKS[0]}), chapter ${last} ends`);
    const ending = trilogyParts(chapters)[0]!.at(-1)!.text.trim().split(/\s+/).slice(-12).join(" ");
    expect(prompt.replace(/\s+/g, " ")).toContain(ending);
    const [writer2] = await runJobs(vault, SECOND, 2, ["brief"]);
    expect(promptOf(writer2!)).toContain("## How chapter 1 ends");
    // Book 1's chapter 1 has nothing before it.
    const [first] = await runJobs(vault, FIRST, 1, ["brief"]);
    expect(promptOf(first!)).not.toMatch(/## How .* ends/);
  });

  it("reports a contradiction of book 1 in book 3's report, citing book 1, chapter 12", async () => {
    const vault = await trilogy();
    await runJobs(vault, THIRD, 10, ["continuity"], true);
    const story = await readStory(vault, THIRD);
    const report = story.info.notes.find((n) => n.kind === "continuity-report" && (n.meta as { chapter?: number }).chapter === 10)!;
    const text = await vault.read(report.path);
    expect(text).toContain("overall: fail");
    expect(text).toContain(`> Contradicts book 1, chapter 12 (${TRILOGY_BOOKS[0]}): "Fitzwilliam Darcy: status dead"`);
    const parsed = readReport(text);
    expect(parsed.findings[0]).toMatchObject({ category: "character", earlierFact: { book: 1, chapter: 12, bookTitle: TRILOGY_BOOKS[0] } });
    // The quote is book 3's chapter 10, word for word.
    const chapter = story.info.chapters.find((c) => c.number === 10)!;
    expect(bodyOf(await vault.read(chapter.path))).toContain(parsed.findings[0]!.quote);
    // The model-free check sees the death from book 1 too, and says where it happened.
    expect(text).toContain("has been dead since book 1, chapter 12");

    // Book 1's chapter 10 comes before the death: no finding, though the same script checks it.
    await runJobs(vault, FIRST, 10, ["continuity"], true);
    const book1 = await readStory(vault, FIRST);
    const report1 = book1.info.notes.find((n) => n.kind === "continuity-report" && (n.meta as { chapter?: number }).chapter === 10)!;
    expect(readReport(await vault.read(report1.path)).findings.filter((f) => f.check === undefined)).toEqual([]);
  });

  it("tags book 3's updates to a series-wide character with book 3, and leaves books 1 and 2's entries as they were", async () => {
    const vault = await trilogy();
    const before = parseFrontmatter(ELIZABETH, await vault.read(ELIZABETH)).data!;
    await runJobs(vault, THIRD, 4, ["characters"], true);
    const after = parseFrontmatter(ELIZABETH, await vault.read(ELIZABETH)).data!;
    type Entry = { book?: string; chapter: number };
    const others = (list: unknown) => (list as Entry[]).filter((e) => e.book !== TRILOGY_BOOKS[2]);
    expect(others(after.changes)).toEqual(before.changes);
    expect(others(after.appearances)).toEqual(others(before.appearances));
    expect((after.changes as Entry[]).filter((e) => e.book === TRILOGY_BOOKS[2])).toEqual([{ book: TRILOGY_BOOKS[2], chapter: 4, kind: "knowledge", value: "what chapter 4 revealed" }]);
    const own = (after.appearances as Entry[]).filter((e) => e.book === TRILOGY_BOOKS[2] && e.chapter === 4);
    expect(own).toEqual([{ book: TRILOGY_BOOKS[2], chapter: 4, role: "reader of the letter", state: "astonished" }]);
    // Book 1's chapter 4 entry (if it has one) is still there, untouched: same chapter number, another book.
    expect((after.appearances as Entry[]).filter((e) => e.book === TRILOGY_BOOKS[0])).toEqual((before.appearances as Entry[]).filter((e) => e.book === TRILOGY_BOOKS[0]));
    // A new character goes to the book, not the series.
    expect(await vault.exists(`${THIRD}/Characters/Mrs. Gardiner.md`)).toBe(true);
    expect(await vault.exists(`${TRILOGY_FOLDER}/Characters/Mrs. Gardiner.md`)).toBe(false);

    // Running it again changes nothing; book 3's fact reaches book 3's later chapters with its chapter, and not book 2.
    const once = await vault.read(ELIZABETH);
    await runJobs(vault, THIRD, 4, ["characters"], true);
    expect(await vault.read(ELIZABETH)).toBe(once);
    const elizabeth3 = (await readStory(vault, THIRD)).codex.find((c) => c.name === "Elizabeth Bennet")!;
    expect(elizabeth3.facts).toContainEqual({ kind: "knowledge", value: "what chapter 4 revealed", chapter: 4 });
    const elizabeth2 = (await readStory(vault, SECOND)).codex.find((c) => c.name === "Elizabeth Bennet")!;
    expect(elizabeth2.facts.some((f) => f.value === "what chapter 4 revealed")).toBe(false);
  });
});

describe("reading a book of a series", () => {
  it("merges a book's own note and the series note of one person: the book's sheet, both notes' facts", async () => {
    const vault = await trilogy();
    const own = `${THIRD}/Characters/Lizzy.md`;
    await vault.write(own, "---\nbookwright: character\nname: Lizzy\nchanges:\n  - { chapter: 2, kind: location, value: Pemberley }\n---\nBook 3's Elizabeth: a wife.\n");
    const story = await readStory(vault, THIRD);
    const elizabeth = story.codex.filter((c) => c.name === "Lizzy" || c.name === "Elizabeth Bennet");
    expect(elizabeth).toHaveLength(1);
    expect(elizabeth[0]).toMatchObject({ name: "Lizzy", aliases: ["Elizabeth Bennet", "Elizabeth", "Eliza"], role: "protagonist", sheet: "Book 3's Elizabeth: a wife." });
    expect(elizabeth[0]!.facts).toEqual([
      { kind: "trait", value: "quick to judge", chapter: 0, from: { book: 1, title: TRILOGY_BOOKS[0], chapter: 3 } },
      { kind: "location", value: "Longbourn", chapter: 0, from: { book: 1, title: TRILOGY_BOOKS[0], chapter: 10 } },
      { kind: "location", value: "Pemberley", chapter: 2 },
    ]);
    // Updates go to the book's own note, by any of the person's names.
    expect(story.characterPaths.get("elizabeth bennet")).toBe(own);
    expect(story.series?.characterNotes.has(ELIZABETH)).toBe(false);
    expect(story.series?.characterNotes.has(DARCY)).toBe(true);
  });

  it("gives book 1 its series' facts with their own chapters, and nothing from the later books", async () => {
    const vault = await trilogy();
    const story = await readStory(vault, FIRST);
    expect(story.series?.member.position).toBe(1);
    const darcy = story.codex.find((c) => c.name === "Fitzwilliam Darcy")!;
    expect(darcy.facts).toEqual([{ kind: "status", value: "proud", chapter: 5 }, { kind: "status", value: "dead", chapter: 12 }]);
    expect(story.material.seriesContext).not.toContain("Earlier books");
  });

  it("finds the series of a book its series note lists, in the series folder, though the book does not name it", async () => {
    const vault = await trilogy();
    const index = `${THIRD}/Book.md`;
    await vault.write(index, setFrontmatterKeys(await vault.read(index), { series: undefined, series_order: undefined }));
    const story = await readStory(vault, THIRD);
    expect(story.series?.member.position).toBe(3);
    expect(story.material.seriesContext).toContain(`Book 2: ${TRILOGY_BOOKS[1]}`);
  });

  it("reads a book whose series note is missing as a standalone book", async () => {
    const vault = await trilogy();
    await vault.trash(`${TRILOGY_FOLDER}/Series.md`);
    const story = await readStory(vault, THIRD);
    expect(story.series).toBeUndefined();
    expect(story.material.seriesContext).toBeUndefined();
    expect(story.codex.map((c) => c.name)).toEqual(["George Wickham"]);
  });
});
