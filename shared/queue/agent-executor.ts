/**
 * The queue's jobs done by the five agents (DESIGN.md §3–4): `execute` reads the story from the vault and
 * calls one agent; `apply` turns its recorded output into notes. The split is the runner's crash-safety
 * contract: whatever `execute` returns is persisted before `apply` touches a note, so `apply` must be
 * idempotent — applying the same output twice leaves the book as applying it once.
 *
 *   brief       → Briefs/NN Title.md (and the chapter note, created if missing, status brief_complete)
 *   write       → the chapter's body through applyChapterText (revisions first, compare-and-swap)
 *   continuity  → Reports/NN Title.md; `continuity` and `summary` on the chapter (the next brief reads it)
 *   characters  → new character notes (in the book); `changes`, `appearances`, `status`, `relationships` on
 *                 existing ones (a series-wide character's entries tagged with this book)
 *   timeline    → the chapter's section of Timeline.md
 *   seam        → Reports/Seam NN–MM.md: continuity across two chapters written side by side
 */
import type { CharactersExtraction, Brief, ContinuityReport, TimelineExtraction } from "../agents/schemas";
import type { ContextInput } from "../agents/context";
import { checkedCharacter } from "../agents/pipeline";
import { DEFAULT_AGENT_MODELS, runArchitect, runCharacters, runContinuity, runTimeline, runWriter, type AgentDeps, type AgentModels } from "../agents/run";
import { findFrontmatter, parseFrontmatter, setFrontmatterKeys } from "../book/frontmatter";
import { safeFileName } from "../book/safe-name";
import { WordCounter } from "../book/words";
import type { Finding as CheckFinding } from "../checks/types";
import { runChecks } from "../checks/run-checks";
import type { Llm, LlmUsage } from "../llm/llm";
import { costOf, DEFAULT_PRICES, type PriceTable } from "../llm/prices";
import { joinVaultPath, VaultError, type VaultFiles } from "../vault/vault-files";
import { characterKeyUpdates, overallWith, parseBriefBody, renderBriefBody, renderReportBody, withTimelineSection } from "./book-notes";
import type { Job, JobKind } from "./jobs";
import type { Revisions } from "./revisions";
import type { ExecuteContext, ExecuteResult, JobExecutor } from "./runner";
import { applyChapterText, bodyHash, bodyOf } from "./safe-write";
import { briefPath, canRewrite, chapterBody, chapterInfo, contextBefore, readStory, reportPath, timelineSoFar, type Story } from "./story";

/** Something the writer should be told that is not a failure (DESIGN.md §4: "and the writer is told"). */
export interface ExecutorNotice {
  jobId: string;
  chapter: number;
  message: string;
  /** The note to open, when there is one. */
  path?: string;
}

export interface AgentExecutorOptions {
  vault: VaultFiles;
  /** Vault-relative folder of the book. */
  bookFolder: string;
  llm: Llm;
  revisions: Revisions;
  /** The batch's first chapter: the codex in the cached prompt prefix is as of before it. */
  batchStart: number;
  now: () => number;
  models?: Partial<AgentModels>;
  prices?: PriceTable;
  onNotice?: (notice: ExecutorNotice) => void;
  /**
   * Awaited right before a draft goes into its chapter note (DESIGN.md §4, write-safety rule 1): the
   * plugin resolves it once the note is not being typed in (no edit for a few seconds), so text never
   * lands under the writer's cursor. The compare-and-swap after it still guards every byte.
   */
  beforeChapterWrite?: (path: string) => Promise<void>;
}

/** What each job records as its output (JSON, persisted in the queue state before it is applied). */
export type AgentOutput =
  | { kind: "brief"; brief: Brief }
  | { kind: "write"; path: string; startHash: string; body: string }
  | { kind: "continuity"; report: ContinuityReport; checks: CheckFinding[] }
  | { kind: "characters"; extraction: CharactersExtraction }
  | { kind: "timeline"; events: TimelineExtraction["events"] }
  | { kind: "seam"; report: ContinuityReport };

/** Which agent's model a job kind uses, for costs. */
const AGENT_OF: Record<JobKind, keyof AgentModels> = {
  brief: "architect",
  write: "writer",
  continuity: "continuity",
  seam: "continuity",
  characters: "characters",
  timeline: "timeline",
};

/**
 * A first guess at each kind's size, used until a job of that kind has reported its real usage: the
 * stable prefix is usually a few thousand tokens; the writer's output is a chapter.
 */
const FIRST_GUESS: Record<JobKind, { inputTokens: number; outputTokens: number }> = {
  brief: { inputTokens: 8_000, outputTokens: 2_000 },
  write: { inputTokens: 8_000, outputTokens: 6_000 },
  continuity: { inputTokens: 12_000, outputTokens: 2_000 },
  seam: { inputTokens: 12_000, outputTokens: 2_000 },
  characters: { inputTokens: 12_000, outputTokens: 1_500 },
  timeline: { inputTokens: 12_000, outputTokens: 1_000 },
};

export class AgentExecutor implements JobExecutor {
  private readonly models: AgentModels;
  private readonly prices: PriceTable;
  /** The dearest job of each kind so far: the estimate for the next one (the cost cap must not be crossed). */
  private readonly dearest = new Map<JobKind, number>();

  constructor(private readonly options: AgentExecutorOptions) {
    this.models = { ...DEFAULT_AGENT_MODELS, ...options.models };
    this.prices = options.prices ?? DEFAULT_PRICES;
  }

  estimateCostUsd(job: Job): number {
    const guess = FIRST_GUESS[job.kind];
    const usage: LlmUsage = { ...guess, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 };
    const first = costOf(usage, this.models[AGENT_OF[job.kind]], this.prices).usd ?? 0;
    // A fifth more than the dearest seen, so a slightly longer chapter does not slip past the cap.
    return Math.max(first, (this.dearest.get(job.kind) ?? 0) * 1.2);
  }

  async execute(job: Job, context: ExecuteContext): Promise<ExecuteResult> {
    const { vault, bookFolder } = this.options;
    context.onProgress({ stage: "reading the book" });
    const story = await readStory(vault, bookFolder);
    let stage = "";
    const deps: AgentDeps = {
      llm: this.options.llm,
      models: this.models,
      signal: context.signal,
      // Structured replies stream as JSON text on current models: their size is the job's progress.
      onText: (_delta, received) => context.onProgress({ stage, tokens: Math.round(received / 4) }),
    };
    const say = (label: string) => {
      stage = label;
      context.onProgress({ stage: label });
    };
    const n = job.chapter;
    const base: Omit<ContextInput, "agent" | "charactersPresent"> = {
      book: story.material,
      codex: story.codex,
      batchStart: this.options.batchStart,
      chapter: n,
      summaries: story.summaries,
      ...(await contextBefore(vault, story, n)),
      timelineSoFar: timelineSoFar(story, n),
    };

    let output: AgentOutput;
    let usage: LlmUsage;
    switch (job.kind) {
      case "brief": {
        say("planning");
        const result = await runArchitect(deps, { ...base, charactersPresent: [] });
        output = { kind: "brief", brief: result.value };
        usage = result.usage;
        break;
      }
      case "write": {
        const chapter = chapterInfo(story, n);
        if (!chapter) throw new Error(`chapter ${n} has no note in ${bookFolder}; its brief job creates one — run the brief first`);
        const briefNote = briefPath(story, n);
        if (!briefNote) throw new Error(`chapter ${n} has no brief (a note with 'bookwright: brief' and 'chapter: ${n}'); generate the brief first`);
        const brief = parseBriefBody(briefNote, bodyOf(await vault.read(briefNote)));
        // The hash of the chapter as the writer left it: the write is refused onto anything else.
        const startHash = bodyHash(await vault.read(chapter.path));
        const words = new StreamedWords();
        context.onProgress({ stage: "drafting", tokens: 0, words: 0 });
        const result = await runWriter(deps, { ...base, brief, charactersPresent: brief.charactersPresent }, (delta, received) => {
          context.onProgress({ stage: "drafting", tokens: Math.round(received / 4), words: words.add(delta, received) });
        });
        output = { kind: "write", path: chapter.path, startHash, body: `${result.value.trim()}\n` };
        usage = result.usage;
        break;
      }
      case "continuity":
      case "seam": {
        const text = await chapterBody(vault, story, n);
        if (!text) throw new Error(`chapter ${n} has no text to check (${chapterInfo(story, n)?.path ?? "no note"})`);
        const earlier = job.kind === "seam" ? await chapterBody(vault, story, job.previousChapter ?? n - 1) : base.previousChapterText;
        say(job.kind === "seam" ? "checking the seam" : "checking continuity");
        const result = await runContinuity(deps, { ...base, previousChapterText: earlier ?? "", chapterText: text, charactersPresent: presentIn(story, text) });
        usage = result.usage;
        if (job.kind === "seam") {
          output = { kind: "seam", report: result.value };
        } else {
          output = { kind: "continuity", report: result.value, checks: await this.checks(story, n) };
        }
        break;
      }
      case "characters": {
        const text = await chapterBody(vault, story, n);
        if (!text) throw new Error(`chapter ${n} has no text to read characters from`);
        say("reading characters");
        const result = await runCharacters(deps, { ...base, chapterText: text, charactersPresent: presentIn(story, text) });
        output = { kind: "characters", extraction: result.value };
        usage = result.usage;
        break;
      }
      case "timeline": {
        const text = await chapterBody(vault, story, n);
        if (!text) throw new Error(`chapter ${n} has no text to read a timeline from`);
        say("placing events");
        const result = await runTimeline(deps, { ...base, chapterText: text, charactersPresent: presentIn(story, text) });
        output = { kind: "timeline", events: result.value.events };
        usage = result.usage;
        break;
      }
    }
    const costUsd = costOf(usage, this.models[AGENT_OF[job.kind]], this.prices).usd ?? 0;
    this.dearest.set(job.kind, Math.max(this.dearest.get(job.kind) ?? 0, costUsd));
    return { output, usage, costUsd };
  }

  async apply(job: Job, recorded: unknown): Promise<void> {
    const output = recorded as AgentOutput;
    if (output.kind !== job.kind) throw new Error(`job ${job.id}: recorded output is for a ${String(output.kind)} job`);
    const story = await readStory(this.options.vault, this.options.bookFolder);
    switch (output.kind) {
      case "brief":
        return this.applyBrief(job, story, output.brief);
      case "write":
        return this.applyWrite(job, output, story.material.language);
      case "continuity":
        return this.applyContinuity(job, story, output.report, output.checks);
      case "characters":
        return this.applyCharacters(job, story, output.extraction);
      case "timeline":
        return this.applyTimeline(job, story, output.events);
      case "seam":
        return this.applySeam(job, story, output.report);
    }
  }

  // --- Applying ---------------------------------------------------------------------------------------

  private async applyBrief(job: Job, story: Story, brief: Brief): Promise<void> {
    const { vault, bookFolder } = this.options;
    const n = job.chapter;
    let chapter = chapterInfo(story, n)?.path;
    if (!chapter) {
      const title = brief.title?.trim() || `Chapter ${n}`;
      chapter = joinVaultPath(bookFolder, "Chapters", `${safeFileName(`${pad(n)} ${title}`)}.md`);
      const text = setFrontmatterKeys("", { bookwright: "chapter", chapter: n, title, status: "brief_complete" });
      await createOrKeep(vault, chapter, text);
    } else {
      const current = await vault.read(chapter);
      const status = parseFrontmatter(chapter, current).data?.status;
      if ((status === undefined || status === "not_started") && canRewrite(story, chapter, current)) {
        await vault.process(chapter, (text) => setFrontmatterKeys(text, { status: "brief_complete" }));
      }
    }
    const stem = (chapter.split("/").pop() ?? chapter).replace(/\.md$/i, "");
    const path = briefPath(story, n) ?? joinVaultPath(bookFolder, "Briefs", `${stem}.md`);
    await this.writeOwnedNote(job, path, { bookwright: "brief", chapter: n }, renderBriefBody(n, brief), true);
  }

  private async applyWrite(job: Job, output: Extract<AgentOutput, { kind: "write" }>, language: string): Promise<void> {
    const { vault, revisions } = this.options;
    const words = new WordCounter(language).countMarkdown(output.body);
    await this.options.beforeChapterWrite?.(output.path);
    const result = await applyChapterText(vault, revisions, {
      path: output.path,
      expectedHash: output.startHash,
      body: output.body,
      // The idempotency key, not the job id: unique across batches, so a revision names its one write.
      jobId: job.idempotencyKey,
      frontmatter: { status: "written", words },
      now: this.options.now(),
    });
    if (result.outcome === "alternative-take") {
      this.options.onNotice?.({
        jobId: job.id,
        chapter: job.chapter,
        path: result.path,
        message: `Chapter ${job.chapter} changed while it was being written, so your text was kept and the new draft was saved beside it as ${result.path}.`,
      });
    }
  }

  private async applyContinuity(job: Job, story: Story, report: ContinuityReport, checks: CheckFinding[]): Promise<void> {
    const { vault, bookFolder } = this.options;
    const n = job.chapter;
    const chapter = chapterInfo(story, n);
    if (!chapter) throw new Error(`chapter ${n} has no note any more; its report was not written`);
    const stem = (chapter.path.split("/").pop() ?? chapter.path).replace(/\.md$/i, "");
    const overall = overallWith(report, checks);
    const path = reportPath(story, n) ?? joinVaultPath(bookFolder, "Reports", `${stem}.md`);
    await this.writeOwnedNote(job, path, { bookwright: "continuity-report", chapter: n, overall }, renderReportBody(n, chapter.path, { ...report, overall }, checks), false);
    const current = await vault.read(chapter.path);
    if (canRewrite(story, chapter.path, current)) {
      await vault.process(chapter.path, (text) => setFrontmatterKeys(text, { continuity: overall, summary: report.summary.trim() }));
    } else {
      this.options.onNotice?.({ jobId: job.id, chapter: n, path: chapter.path, message: `${chapter.path}: its frontmatter could not be read, so the continuity result and summary were not saved on it (the report is at ${path}).` });
    }
  }

  private async applySeam(job: Job, story: Story, report: ContinuityReport): Promise<void> {
    const n = job.chapter;
    const before = job.previousChapter ?? n - 1;
    const chapter = chapterInfo(story, n);
    if (!chapter) throw new Error(`chapter ${n} has no note any more; the seam report was not written`);
    const path = reportPath(story, n, before) ?? joinVaultPath(this.options.bookFolder, "Reports", `Seam ${pad(before)}–${pad(n)}.md`);
    const body = renderReportBody(n, chapter.path, report, [], `Continuity from chapter ${before} into chapter ${n}`);
    await this.writeOwnedNote(job, path, { bookwright: "continuity-report", chapter: n, seam_of: before, overall: report.overall }, body, false);
  }

  private async applyCharacters(job: Job, story: Story, extraction: CharactersExtraction): Promise<void> {
    const { vault, bookFolder } = this.options;
    const paths = new Map(story.characterPaths);
    for (const fresh of extraction.newCharacters) {
      if ([fresh.name, ...fresh.aliases].some((name) => paths.has(name.trim().toLowerCase()))) continue;
      const path = joinVaultPath(bookFolder, "Characters", `${safeFileName(fresh.name)}.md`);
      const text = setFrontmatterKeys("", { bookwright: "character", name: fresh.name, aliases: fresh.aliases, role: fresh.role }) + `\n${fresh.description.trim()}\n`;
      const used = await createOrKeep(vault, path, text);
      for (const name of [fresh.name, ...fresh.aliases]) paths.set(name.trim().toLowerCase(), used);
    }
    const linkFor = (name: string) => {
      const path = paths.get(name.trim().toLowerCase());
      return `[[${path ? (path.split("/").pop() ?? path).replace(/\.md$/i, "") : name.trim()}]]`;
    };
    const touched = new Set<string>();
    for (const name of [...extraction.appearances.map((a) => a.name), ...extraction.changes.map((c) => c.name), ...extraction.relationships.map((r) => r.from)]) {
      const path = paths.get(name.trim().toLowerCase());
      if (path) touched.add(path);
    }
    for (const path of [...touched].sort()) {
      const text = await vault.read(path);
      if (!canRewrite(story, path, text)) {
        this.options.onNotice?.({ jobId: job.id, chapter: job.chapter, path, message: `${path}: its frontmatter could not be read, so what chapter ${job.chapter} changed about this character was not saved.` });
        continue;
      }
      const names = [...paths.entries()].filter(([, p]) => p === path).map(([name]) => name);
      const meta = parseFrontmatter(path, text).data ?? {};
      // A series-wide character's note holds every book's entries: this book's are tagged with it.
      const scope = story.series?.characterNotes.has(path) ? story.series.scope : undefined;
      const updates = characterKeyUpdates(meta, names, extraction, job.chapter, linkFor, scope);
      if (Object.keys(updates).length > 0) await vault.process(path, (current) => setFrontmatterKeys(current, updates));
    }
  }

  private async applyTimeline(job: Job, story: Story, events: TimelineExtraction["events"]): Promise<void> {
    const { vault, bookFolder } = this.options;
    const chapter = chapterInfo(story, job.chapter);
    const chapterPath = chapter?.path ?? `Chapter ${job.chapter}`;
    const path = story.timelinePath ?? joinVaultPath(bookFolder, "Timeline.md");
    if (!story.timelinePath) await createOrKeep(vault, path, `${setFrontmatterKeys("", { bookwright: "timeline" })}\n# Timeline\n`);
    await vault.process(path, (text) => {
      const block = findFrontmatter(text);
      const head = block ? text.slice(0, block.bodyStart) : "";
      return head + withTimelineSection(text.slice(head.length), job.chapter, chapterPath, events);
    });
  }

  /**
   * Writes a note Bookwright owns (brief, report): created when missing, otherwise its body replaced and
   * the given keys set, every other key kept. With `keepOld`, a body the writer may have edited is kept
   * as a revision first.
   */
  private async writeOwnedNote(job: Job, path: string, keys: Record<string, unknown>, body: string, keepOld: boolean): Promise<void> {
    const { vault, revisions } = this.options;
    const fresh = `${setFrontmatterKeys("", keys)}\n${body}`;
    if (await tryCreate(vault, path, fresh)) return;
    const current = await vault.read(path);
    const block = findFrontmatter(current);
    const oldBody = block ? current.slice(block.bodyStart) : current;
    const newBody = `\n${body}`;
    if (current === fresh || oldBody.replace(/\r\n/g, "\n") === newBody) {
      if (current !== fresh && block) await vault.process(path, (text) => setFrontmatterKeys(text, keys));
      return;
    }
    if (keepOld && oldBody.trim() !== "") {
      await revisions.save({ notePath: path, text: current, reason: "before-ai-write", jobId: job.idempotencyKey, at: this.options.now() });
    }
    if (block && parseFrontmatter(path, current).data === null) throw new Error(`${path}: its frontmatter is not valid YAML, so Bookwright did not rewrite it; fix or delete the note and retry`);
    await vault.process(path, (text) => {
      const b = findFrontmatter(text);
      return setFrontmatterKeys(b ? text.slice(0, b.bodyStart) + newBody : fresh, keys);
    });
  }

  private async checks(story: Story, chapter: number): Promise<CheckFinding[]> {
    return (await bookChecks(this.options.vault, story, chapter)).get(chapter) ?? [];
  }
}

/**
 * The model-free checks (stock phrases, repeats, name variants, the dead acting) over the book's chapters
 * up to `upTo` (all when absent), grouped by chapter: run on the whole book so repeats across chapters count.
 */
export async function bookChecks(vault: VaultFiles, story: Story, upTo = Infinity): Promise<Map<number, CheckFinding[]>> {
  const chapters = [];
  for (const c of story.info.chapters) {
    if (c.number === null || c.number > upTo) continue;
    chapters.push({ chapter: c.number, title: c.title, body: bodyOf(await vault.read(c.path)) });
  }
  const byChapter = new Map<number, CheckFinding[]>();
  for (const finding of runChecks(chapters, story.codex.map(checkedCharacter))) {
    byChapter.set(finding.where.chapter, [...(byChapter.get(finding.where.chapter) ?? []), finding]);
  }
  return byChapter;
}

/** Characters of the codex whose name or an alias occurs in the text. */
function presentIn(story: Story, text: string): string[] {
  return story.codex.filter((c) => [c.name, ...c.aliases].some((n) => n && text.includes(n))).map((c) => c.name);
}

/**
 * Creates the note unless something is already there (the writer, or this job before a crash, made it).
 * Returns the path either way.
 */
async function createOrKeep(vault: VaultFiles, path: string, text: string): Promise<string> {
  await tryCreate(vault, path, text);
  return path;
}

/** Creates the note if nothing is at `path`; false when something already was. */
async function tryCreate(vault: VaultFiles, path: string, text: string): Promise<boolean> {
  try {
    await vault.create(path, text);
    return true;
  } catch (error) {
    if (error instanceof VaultError && error.code === "exists") return false;
    throw error;
  }
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

/** Words streamed so far, counted on each delta as it arrives (a retried stream starts again from 0). */
class StreamedWords {
  private words = 0;
  private inWord = false;
  private received = 0;

  add(delta: string, received: number): number {
    if (received < this.received + delta.length) {
      // The stream started again (a retry): what was counted is gone.
      this.words = 0;
      this.inWord = false;
    }
    this.received = received;
    for (const ch of delta) {
      const space = ch === " " || ch === "\n" || ch === "\t" || ch === "\r";
      if (!space && !this.inWord) this.words++;
      this.inWord = !space;
    }
    return this.words;
  }
}
