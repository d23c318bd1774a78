/**
 * The queue's revisions (shared/queue/revisions.ts: notes in the book's `Revisions/` folder) with a copy
 * of each note's old text in the companion's store too, when the queue runs beside a companion in one
 * process (`bookwright demo`). The companion then holds the text a chapter had before the AI replaced it,
 * with its history, diff and restore, without waiting for its watcher, which sees only the new text.
 *
 * Only `before-ai-write` revisions are copied: they are whole notes, as the companion keeps them. An
 * `ai-output` revision is the generated body alone; the watcher keeps the note it lands in.
 */
import type { Revision, Revisions, RevisionInfo } from "../../shared/queue/revisions";
import type { RevisionStore } from "./types";

export function withCompanionCopies(revisions: Revisions, store: RevisionStore): Revisions {
  return {
    async save(rev: Revision): Promise<{ id: string; path?: string }> {
      const saved = await revisions.save(rev);
      if (rev.reason === "before-ai-write") {
        // Synchronous and on disk when it returns; a failure stops the job before the note is written.
        store.capture({
          note: rev.notePath,
          text: rev.text,
          source: "cli",
          label: `before AI write${rev.jobId ? ` (${rev.jobId})` : ""}`,
          // A job applied again after a crash keeps one copy, not two (keys are store-wide, hence the note).
          ...(rev.jobId ? { idempotencyKey: `before-ai-write:${rev.jobId}:${rev.notePath}` } : {}),
          at: new Date(rev.at),
        });
      }
      return saved;
    },
    list: (notePath: string): Promise<RevisionInfo[]> => revisions.list(notePath),
  };
}
