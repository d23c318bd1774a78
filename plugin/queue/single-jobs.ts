/**
 * Batches of some kinds of jobs only ("Write chapter", "Check continuity", "Check the whole book"), run
 * through the book's QueueController like any batch, so they are saved in the book, shown in the queue
 * panel, cancellable, and refused while another batch of the book is unfinished.
 * This module only builds the job graph; running and estimating are the controller's.
 */
import { buildBatch, topologicalOrder } from "../../shared/queue/graph";
import type { JobKind, QueueState } from "../../shared/queue/jobs";
import type { QueueController } from "./queue-controller";

export interface JobsSpec {
  batchId: string;
  bookFolder: string;
  deviceId: string;
  chapters: number[];
  /** The kinds of job to keep; the others are left out of the batch. */
  kinds: readonly JobKind[];
  now: number;
  costCapUsd?: number;
  /**
   * Dependencies to add between kept jobs, by job id (a check that must wait for the one before it, say).
   * Only jobs in the batch count; a cycle is refused.
   */
  after?: ReadonlyMap<string, readonly string[]>;
}

/**
 * buildBatch's jobs of the given kinds only. A dependency on a job left out is dropped: the writer asked
 * for this job alone, and what it reads (a brief, an earlier summary) is whatever the book holds now.
 */
export function buildJobsBatch(spec: JobsSpec): QueueState {
  const full = buildBatch({
    batchId: spec.batchId,
    bookFolder: spec.bookFolder,
    deviceId: spec.deviceId,
    chapters: spec.chapters,
    // Sequential priorities put a chapter's checks before side work; seams are plan-ahead only.
    mode: "sequential",
    now: spec.now,
    ...(spec.costCapUsd !== undefined ? { costCapUsd: spec.costCapUsd } : {}),
  });
  const kinds = new Set(spec.kinds);
  const kept = full.jobs.filter((job) => kinds.has(job.kind));
  const ids = new Set(kept.map((job) => job.id));
  const jobs = kept.map((job) => {
    const extra = (spec.after?.get(job.id) ?? []).filter((id) => ids.has(id) && id !== job.id);
    return { ...job, dependsOn: [...new Set([...job.dependsOn.filter((id) => ids.has(id)), ...extra])] };
  });
  const state: QueueState = { ...full, jobs };
  topologicalOrder(state); // Throws on a cycle, before anything is saved.
  return state;
}

export interface StartJobsRequest {
  chapters: number[];
  kinds: readonly JobKind[];
  concurrency: number;
  costCapUsd: number | null;
  after?: ReadonlyMap<string, readonly string[]>;
}

/**
 * Starts a batch of some kinds of jobs and resolves when it has run (done, paused or blocked), as
 * QueueController.start does. Refused, with the same words, while the book has an unfinished batch.
 */
export async function startJobs(controller: QueueController, bookFolder: string, request: StartJobsRequest): Promise<void> {
  const state = buildJobsBatch({
    batchId: controller.newBatchId(),
    bookFolder,
    deviceId: controller.deviceId,
    chapters: request.chapters,
    kinds: request.kinds,
    now: Date.now(),
    ...(request.costCapUsd !== null ? { costCapUsd: request.costCapUsd } : {}),
    ...(request.after ? { after: request.after } : {}),
  });
  await controller.startState(bookFolder, state, request.concurrency);
}

/** What such a batch would probably cost, for a confirmation before it starts. Calls no model. */
export function estimateJobs(controller: QueueController, bookFolder: string, request: Pick<StartJobsRequest, "chapters" | "kinds">): number {
  const state = buildJobsBatch({ batchId: "estimate", bookFolder, deviceId: "estimate", chapters: request.chapters, kinds: request.kinds, now: 0 });
  return controller.estimateState(bookFolder, state);
}
