/**
 * Events for `GET /events`. Revisions: every capture that stores a new revision is announced to every
 * listener; {@link announceCaptures} wraps a store so that captures made through it (by the HTTP routes,
 * and by the file watcher when it is given the same wrapped store) are announced without each caller
 * remembering to. Export jobs: every state change and progress step of a job, and each removal
 * ({@link ExportEvents}, told by `companion/export/export-jobs.ts`).
 */
import type { ExportJob } from "../../shared/companion-api/api";
import type { CaptureInput, CaptureResult, RetentionPolicy, Revision, RevisionStore, RevisionSummary } from "../revisions/types";

/** Listeners of one kind of event. */
class Broadcast<T> {
  private readonly listeners = new Set<(event: T) => void>();

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: (event: T) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Tells every listener; one that throws is dropped, and the others still hear. */
  protected publish(event: T): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        this.listeners.delete(listener);
      }
    }
  }

  get listenerCount(): number {
    return this.listeners.size;
  }
}

export type RevisionListener = (revision: RevisionSummary) => void;

export class RevisionEvents extends Broadcast<RevisionSummary> {
  captured(revision: RevisionSummary): void {
    this.publish(revision);
  }
}

/** `state`: queued, started or finished; `progress`: a running job moved on; `removed`: gone with its file. */
export type ExportEvent = { type: "state" | "progress"; job: ExportJob } | { type: "removed"; id: string };

export class ExportEvents extends Broadcast<ExportEvent> {
  changed(type: "state" | "progress", job: ExportJob): void {
    this.publish({ type, job });
  }

  removed(id: string): void {
    this.publish({ type: "removed", id });
  }
}

/** `store`, announcing each capture that stored something new on `events`. */
export function announceCaptures(store: RevisionStore, events: RevisionEvents): RevisionStore {
  return {
    capture(input: CaptureInput): CaptureResult {
      const result = store.capture(input);
      if (result.created) events.captured(result.revision);
      return result;
    },
    list: (note: string, options?: { limit?: number; before?: string }): RevisionSummary[] => store.list(note, options),
    get: (id: string): Revision | null => store.get(id),
    notes: (): string[] => store.notes(),
    prune: (policy: RetentionPolicy, now?: Date): number => store.prune(policy, now),
  };
}
