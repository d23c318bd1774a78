/**
 * One export job's work, as its worker thread does it: the book rendered by the same exporter the CLI
 * and the plugin run (`renderExport`, exportBook's first half), written to a partial file in the
 * companion's exports folder, never into the vault. The worker (`export-worker.ts`) only wires this to its
 * message port; the job queue (`export-jobs.ts`) renames the partial file into place when it is told.
 */
import { open } from "node:fs/promises";
import { deflateRawSync } from "node:zlib";
import type { ExportJobOptions } from "../../shared/companion-api/api";
import { renderExport, type ExportBookOptions, type ExportProgress } from "../../shared/export/export-book";
import { readFontFolder } from "../../shared/export/font-files";
import type { ExportFormat } from "../../shared/export/formats";
import { useDeflateRaw } from "../../shared/export/zip";
import { NodeVault } from "../vault/node-vault";
import { loadDefaultFonts } from "./default-fonts";

/** What a worker is given: which book, how, and where the bytes go. Plain data (it crosses threads). */
export interface ExportTask {
  /** The vault folder on disk (absolute). */
  vaultPath: string;
  /** The book's folder, vault-relative, checked by the route. */
  book: string;
  format: ExportFormat;
  options: ExportJobOptions;
  /** Where to write the file; the queue renames it once the worker says it is complete. */
  partialFile: string;
}

/** What a finished task reports. */
export interface ExportTaskResult {
  title: string;
  chapters: number;
  words: number;
  warnings: string[];
  bytes: number;
}

/** Messages from a worker to the queue. */
export type ExportWorkerMessage =
  | ({ type: "progress" } & ExportProgress)
  | { type: "done"; result: ExportTaskResult }
  | { type: "failed"; message: string };

/** The API's options as exportBook takes them (the API names a few the way the CLI does). */
export function exportBookOptions(vault: NodeVault, format: ExportFormat, options: ExportJobOptions): ExportBookOptions {
  const fontFolder = options.fontFolder;
  return {
    format,
    ...(options.chapters !== undefined ? { chapters: options.chapters } : {}),
    ...(options.smartTypography !== undefined ? { smartTypography: options.smartTypography } : {}),
    ...(options.trim !== undefined ? { trim: options.trim } : {}),
    ...(options.fontSizePt !== undefined ? { fontSizePt: options.fontSizePt } : {}),
    ...(options.titlePage !== undefined ? { titlePage: options.titlePage } : {}),
    ...(options.toc !== undefined ? { toc: options.toc } : {}),
    ...(options.contact !== undefined ? { contact: options.contact } : {}),
    ...(options.courier ? { manuscriptFont: "Courier New" as const } : {}),
    ...(options.cover !== undefined ? { cover: options.cover } : {}),
    ...(options.description !== undefined ? { description: options.description } : {}),
    ...(options.markMissingCharacters ? { missingCharacters: "mark" as const } : {}),
    fonts: () => (fontFolder !== undefined ? readFontFolder(vault, fontFolder) : loadDefaultFonts()),
  };
}

/** Renders the export and writes it, flushed to disk, to `task.partialFile`. Throws with the exporter's own words. */
export async function runExportTask(task: ExportTask, onProgress: (progress: ExportProgress) => void): Promise<ExportTaskResult> {
  // Node's zlib is native: compressing a whole novel's EPUB or DOCX takes a fraction of fflate's time (as the CLI does).
  useDeflateRaw((data) => deflateRawSync(data, { level: 6 }));
  const vault = new NodeVault(task.vaultPath);
  const rendered = await renderExport(vault, task.book, { ...exportBookOptions(vault, task.format, task.options), onProgress });
  onProgress({ stage: "writing", done: rendered.chapters, total: rendered.chapters });
  const bytes = "text" in rendered.content ? Buffer.from(rendered.content.text, "utf8") : rendered.content.bytes;
  const file = await open(task.partialFile, "w", 0o600);
  try {
    await file.writeFile(bytes);
    // On disk before the queue renames it and records the job as succeeded.
    await file.sync();
  } finally {
    await file.close();
  }
  return { title: rendered.title, chapters: rendered.chapters, words: rendered.words, warnings: rendered.warnings, bytes: bytes.byteLength };
}
