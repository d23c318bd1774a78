/**
 * Revision events for `GET /events`: every capture that stores a new revision is announced to every
 * listener. {@link announceCaptures} wraps a store so that captures made through it (by the HTTP routes,
 * and by the file watcher when it is given the same wrapped store) are announced without each caller
 * remembering to.
 */
import type { CaptureInput, CaptureResult, RetentionPolicy, Revision, RevisionStore, RevisionSummary } from "../revisions/types";

export type RevisionListener = (revision: RevisionSummary) => void;

export class RevisionEvents {
  private readonly listeners = new Set<RevisionListener>();

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: RevisionListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Tells every listener; one that throws is dropped, and the others still hear. */
  captured(revision: RevisionSummary): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(revision);
      } catch {
        this.listeners.delete(listener);
      }
    }
  }

  get listenerCount(): number {
    return this.listeners.size;
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
