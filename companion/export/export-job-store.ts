/**
 * Export jobs in the companion's SQLite database (`export_jobs`, migration 2): the request, the state,
 * and the outcome. The live progress of the running job is not written on every chapter (each commit
 * waits for the disk); it is kept in memory by the queue, and written when the stage changes and when
 * the job finishes.
 */
import type { ExportJob, ExportJobOptions, ExportJobProgress, ExportJobResult, ExportJobStage, ExportJobState } from "../../shared/companion-api/api";
import type { ExportFormat } from "../../shared/export/formats";
import type { SqliteDatabase } from "../db/database";

interface JobRow {
  seq: number;
  id: string;
  book: string;
  format: string;
  options: string;
  state: string;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  stage: string;
  progress_done: number;
  progress_total: number;
  file: string | null;
  file_name: string | null;
  title: string | null;
  bytes: number | null;
  chapters: number | null;
  words: number | null;
  warnings: string | null;
  error: string | null;
}

/** A job as stored: what the API shows, and what only the companion needs (options, the file's name on disk). */
export interface StoredExportJob {
  id: string;
  book: string;
  format: ExportFormat;
  options: ExportJobOptions;
  state: ExportJobState;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  progress: ExportJobProgress;
  /** The file's name in the exports folder, when succeeded. */
  file: string | null;
  result: ExportJobResult | null;
  error: string | null;
}

const COLUMNS = "seq, id, book, format, options, state, created_at, started_at, finished_at, stage, progress_done, progress_total, file, file_name, title, bytes, chapters, words, warnings, error";

export class ExportJobStore {
  constructor(private readonly db: SqliteDatabase) {}

  insert(job: { id: string; book: string; format: ExportFormat; options: ExportJobOptions; createdAt: number }): void {
    this.db
      .prepare("INSERT INTO export_jobs (id, book, format, options, state, created_at, stage) VALUES (?, ?, ?, ?, 'queued', ?, 'queued')")
      .run(job.id, job.book, job.format, JSON.stringify(job.options), job.createdAt);
  }

  get(id: string): StoredExportJob | null {
    const row = this.db.prepare(`SELECT ${COLUMNS} FROM export_jobs WHERE id = ?`).get(id) as JobRow | undefined;
    return row ? fromRow(row) : null;
  }

  /** Newest first. */
  list(): StoredExportJob[] {
    return (this.db.prepare(`SELECT ${COLUMNS} FROM export_jobs ORDER BY seq DESC`).all() as JobRow[]).map(fromRow);
  }

  /** The oldest queued job: the queue's next. */
  nextQueued(): StoredExportJob | null {
    const row = this.db.prepare(`SELECT ${COLUMNS} FROM export_jobs WHERE state = 'queued' ORDER BY seq LIMIT 1`).get() as JobRow | undefined;
    return row ? fromRow(row) : null;
  }

  markRunning(id: string, at: number): void {
    this.db.prepare("UPDATE export_jobs SET state = 'running', started_at = ?, stage = 'reading' WHERE id = ? AND state = 'queued'").run(at, id);
  }

  /** Keeps how far a running job got (written when its stage changes, so a crash still shows it). */
  setProgress(id: string, progress: ExportJobProgress): void {
    this.db.prepare("UPDATE export_jobs SET stage = ?, progress_done = ?, progress_total = ? WHERE id = ? AND state = 'running'").run(progress.stage, progress.done, progress.total, id);
  }

  markSucceeded(id: string, at: number, file: string, result: ExportJobResult): void {
    this.db
      .prepare(
        `UPDATE export_jobs SET state = 'succeeded', finished_at = ?, stage = 'done', progress_done = ?, progress_total = ?,
           file = ?, file_name = ?, title = ?, bytes = ?, chapters = ?, words = ?, warnings = ?, error = NULL
         WHERE id = ?`,
      )
      .run(at, result.chapters, result.chapters, file, result.fileName, result.title, result.bytes, result.chapters, result.words, JSON.stringify(result.warnings), id);
  }

  /** Failed or cancelled, keeping how far it got. */
  markEnded(id: string, state: "failed" | "cancelled", at: number, error: string, progress?: ExportJobProgress): void {
    this.db
      .prepare(
        `UPDATE export_jobs SET state = ?, finished_at = ?, error = ?,
           stage = coalesce(?, stage), progress_done = coalesce(?, progress_done), progress_total = coalesce(?, progress_total)
         WHERE id = ?`,
      )
      .run(state, at, error, progress?.stage ?? null, progress?.done ?? null, progress?.total ?? null, id);
  }

  /**
   * Marks every job left queued or running (by a companion that stopped without finishing them) failed
   * with `message`; returns their ids.
   */
  failUnfinished(at: number, message: string): string[] {
    return this.db.transaction(() => {
      const ids = (this.db.prepare("SELECT id FROM export_jobs WHERE state IN ('queued', 'running') ORDER BY seq").all() as { id: string }[]).map((r) => r.id);
      this.db.prepare("UPDATE export_jobs SET state = 'failed', finished_at = ?, error = ? WHERE state IN ('queued', 'running')").run(at, message);
      return ids;
    })();
  }

  /** Finished jobs that finished before `before` (milliseconds since the epoch). */
  finishedBefore(before: number): StoredExportJob[] {
    return (this.db.prepare(`SELECT ${COLUMNS} FROM export_jobs WHERE finished_at IS NOT NULL AND finished_at < ? AND state IN ('succeeded', 'failed', 'cancelled') ORDER BY seq`).all(before) as JobRow[]).map(fromRow);
  }

  /** The file names of every succeeded job: what the exports folder should hold. */
  files(): Set<string> {
    return new Set((this.db.prepare("SELECT file FROM export_jobs WHERE file IS NOT NULL").all() as { file: string }[]).map((r) => r.file));
  }

  delete(id: string): void {
    this.db.prepare("DELETE FROM export_jobs WHERE id = ?").run(id);
  }
}

function fromRow(row: JobRow): StoredExportJob {
  const state = row.state as ExportJobState;
  return {
    id: row.id,
    book: row.book,
    format: row.format as ExportFormat,
    options: JSON.parse(row.options) as ExportJobOptions,
    state,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    progress: { stage: row.stage as ExportJobStage, done: row.progress_done, total: row.progress_total },
    file: row.file,
    result:
      state === "succeeded" && row.file_name !== null
        ? {
            fileName: row.file_name,
            title: row.title ?? "",
            bytes: row.bytes ?? 0,
            chapters: row.chapters ?? 0,
            words: row.words ?? 0,
            warnings: row.warnings === null ? [] : (JSON.parse(row.warnings) as string[]),
          }
        : null,
    error: row.error,
  };
}

/** The job as the API shows it, with `live` progress for the running job. */
export function toApiJob(job: StoredExportJob, live?: ExportJobProgress): ExportJob {
  const iso = (ms: number | null): string | undefined => (ms === null ? undefined : new Date(ms).toISOString());
  const startedAt = iso(job.startedAt);
  const finishedAt = iso(job.finishedAt);
  return {
    id: job.id,
    state: job.state,
    book: job.book,
    format: job.format,
    createdAt: new Date(job.createdAt).toISOString(),
    ...(startedAt !== undefined ? { startedAt } : {}),
    ...(finishedAt !== undefined ? { finishedAt } : {}),
    progress: live ?? job.progress,
    ...(job.result ? { result: job.result } : {}),
    ...(job.error !== null ? { error: job.error } : {}),
  };
}
