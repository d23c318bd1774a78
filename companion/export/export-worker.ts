/**
 * The worker thread of one export job (started by `export-jobs.ts`): runs the export off the companion's
 * main thread, so a whole novel's PDF never holds up a request, and reports progress, the result or the
 * failure as {@link ExportWorkerMessage}s. A cancelled job's worker is terminated; nothing here cleans up.
 *
 * Built as its own entry point (`dist/export-worker.js`, see esbuild.config.mjs); from source, tests load
 * it through tsx.
 */
import { parentPort, workerData } from "node:worker_threads";
import { runExportTask, type ExportTask, type ExportWorkerMessage } from "./run-export";

export interface ExportWorkerData {
  task: ExportTask;
  /**
   * Tests only: once packing starts, the thread blocks until `hold[0]` is non-zero, as a long export
   * would keep it busy, so a test can act while a job is certainly running.
   */
  hold?: Int32Array;
}

const port = parentPort;
if (port === null) throw new Error("export-worker runs as a worker thread of the companion, not on its own");
const { task, hold } = workerData as ExportWorkerData;
const send = (message: ExportWorkerMessage): void => port.postMessage(message);

runExportTask(task, (progress) => {
  send({ type: "progress", ...progress });
  if (hold !== undefined && progress.stage === "packing") {
    // Short waits in a loop rather than one long one: terminate() lands between them at once.
    while (Atomics.load(hold, 0) === 0) Atomics.wait(hold, 0, 0, 50);
  }
}).then(
  (result) => send({ type: "done", result }),
  (error: unknown) => send({ type: "failed", message: error instanceof Error ? error.message : String(error) }),
);
