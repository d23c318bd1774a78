/**
 * Where the plugin's queue keeps the note an AI write is about to replace (DESIGN.md §4, rules 2 and 6):
 * in the companion when one is set up and answers, so the writer's history lives in one place with the
 * edits its watcher saw, and otherwise as revision notes in the vault, exactly as without a companion.
 *
 * A revision is never lost: when the companion is unreachable, refuses the token or fails in any way, the
 * same revision is saved in the vault before `save` resolves, and `save` throws only when neither kept
 * it. The executor awaits `save` before it touches the note, so an AI write never goes ahead without the
 * text it replaces stored somewhere.
 */
import { hashText } from "../../shared/queue/hash";
import { REVISIONS_FOLDER, type Revision, type RevisionInfo, type Revisions } from "../../shared/queue/revisions";
import { joinVaultPath, normalizeVaultPath } from "../../shared/vault/vault-files";
import { CompanionError, type CompanionClient } from "./client";

/** What this module asks of the companion. */
export type CompanionCapture = Pick<CompanionClient, "capture">;

/** The label of a before-AI-write revision in the companion (its source is `plugin`). */
export const BEFORE_AI_WRITE_LABEL = "before an AI write";

/** Told once per instance (one batch) when revisions went to the vault although a companion is set up. */
export interface RevisionFallback {
  /** Why, in words that complete "because …". */
  reason: string;
  /** The revision that went to the vault (the first of the batch to do so). */
  revision: Revision;
  /** Where the vault kept it. */
  saved: { id: string; path?: string };
}

export interface CompanionOrVaultRevisionsOptions {
  /**
   * The companion client for the current settings (`companionFromSettings`): null when none is set up,
   * and then revisions go to the vault without a word. It may throw (the chosen token secret is gone);
   * that counts as a failure of the companion. Asked at the first save, not when the executor is built,
   * so a cost estimate never touches secret storage.
   */
  companion: () => CompanionCapture | null;
  /** The vault's revisions (NoteRevisions of the book): the fallback, and the home of AI drafts. */
  vault: Revisions;
  onFallback?: (fallback: RevisionFallback) => void;
}

/**
 * Before-AI-write revisions go to the companion, falling back to the vault; every other revision goes to
 * the vault as it always has.
 *
 * "ai-output" (and "alternative-take") revisions stay in the vault on purpose. The companion's watcher
 * captures the chapter right after the write lands, so sending the draft as well would put each AI write
 * in its history twice. And `applyChapterText` finds a re-applied job's earlier draft through
 * `list()` by job id and text, which the vault's revision notes carry and the companion's summaries do
 * not; keeping drafts where `list()` looks keeps a resumed job from saving its draft a second time.
 *
 * Once the companion has failed, the rest of the batch (this instance) goes straight to the vault: one
 * notice then stays true for the whole batch, and a companion that hangs does not cost every later write
 * the client's timeout. The next batch (a new instance) asks the companion again.
 */
export class CompanionOrVaultRevisions implements Revisions {
  /** Why the companion is not used any more in this batch; null while it has not failed. */
  private failure: string | null = null;
  private told = false;

  constructor(private readonly options: CompanionOrVaultRevisionsOptions) {}

  async save(rev: Revision): Promise<{ id: string; path?: string }> {
    if (rev.reason !== "before-ai-write") return this.options.vault.save(rev);
    const client = this.failure === null ? this.client() : null;
    if (client) {
      try {
        const key = companionIdempotencyKey(rev);
        const { revision } = await client.capture(rev.notePath, { text: rev.text, label: BEFORE_AI_WRITE_LABEL, ...(key !== undefined ? { idempotencyKey: key } : {}) });
        return { id: revision.id };
      } catch (error) {
        this.failure ??= reasonOf(error);
      }
    }
    let saved: { id: string; path?: string };
    try {
      saved = await this.options.vault.save(rev);
    } catch (error) {
      if (this.failure === null) throw error;
      // Neither kept it: the caller must not write over the note, and the writer should know both reasons.
      throw new Error(`the text before the AI write could not be kept: ${this.failure}, and the vault refused it too (${messageOf(error)})`);
    }
    if (this.failure !== null && !this.told) {
      this.told = true;
      this.options.onFallback?.({ reason: this.failure, revision: rev, saved });
    }
    return saved;
  }

  /**
   * The vault's revisions only, as before. Nothing in the modal reads this port: "Show revisions of
   * this chapter" asks the companion itself when it answers and reads the vault's notes when it does not.
   * The caller that does read it, `applyChapterText`, looks for its own AI draft, which is in the vault
   * (see the class comment). Merging in the companion's would cost a request per revision for its text
   * on every write and give back entries without a reason or a job.
   */
  list(notePath: string): Promise<RevisionInfo[]> {
    return this.options.vault.list(notePath);
  }

  /** The client, or null when none is set up or setting it up failed (then `failure` says why). */
  private client(): CompanionCapture | null {
    try {
      return this.options.companion();
    } catch (error) {
      this.failure ??= reasonOf(error);
      return null;
    }
  }
}

/**
 * The key that makes a retried capture (a lost answer, a job applied again after a crash) return the first
 * attempt's revision. From the job, the note and the reason, and the text too: a job re-applied after the
 * writer changed the note (a brief is rewritten without compare-and-swap) must keep that new text, not be
 * handed back the revision of the old one. Hashed, because the companion takes at most 200 visible ASCII
 * characters and notes have any name. Without a job there is no retry to recognise, so no key.
 */
export function companionIdempotencyKey(rev: Revision): string | undefined {
  if (rev.jobId === undefined) return undefined;
  return `bookwright-${rev.reason}-${hashText(rev.jobId)}-${hashText(normalizeVaultPath(rev.notePath))}-${hashText(rev.text)}`;
}

/** The notice for a batch whose revisions went to the vault, e.g. "… because the companion is not running …". */
export function fallbackNotice(bookFolder: string, reason: string): string {
  const end = /[.!?]$/.test(reason) ? "" : ".";
  return `Revisions before AI writes went to the vault (${joinVaultPath(bookFolder, REVISIONS_FOLDER)}) because ${reason}${end}`;
}

/** Why the companion did not keep a revision, in words that follow "because". */
function reasonOf(error: unknown): string {
  if (error instanceof CompanionError) {
    // Unreachable, timed out, token refused, 5xx, a missing secret: the client already says it plainly.
    if (error.status === null || error.status === 401 || error.status >= 500) return error.message;
    if (/^(the companion|no Bookwright companion)/.test(error.message)) return error.message;
    // A refusal in the companion's own words ("invalid body.note: …").
    return `the companion refused it (${error.message})`;
  }
  return `asking the companion failed (${messageOf(error)})`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
