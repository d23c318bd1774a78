/**
 * The export formats and trims by name: a small module of its own, so settings and menus can list them
 * without loading the packers.
 */
import type { TrimName } from "./pdf/trim";

export const EXPORT_FORMATS = ["docx", "manuscript", "pdf", "epub", "txt", "md"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** What each format is called where a writer chooses one. */
export const EXPORT_FORMAT_NAMES: Record<ExportFormat, string> = {
  docx: "Word book (.docx)",
  manuscript: "Word manuscript for agents and editors (.docx)",
  pdf: "Print PDF (.pdf)",
  epub: "E-book (.epub)",
  txt: "Plain text (.txt)",
  md: "Markdown (.md)",
};

export const TRIM_SIZES: readonly TrimName[] = ["5x8", "5.25x8", "5.5x8.5", "6x9"];

const EXTENSIONS: Record<ExportFormat, string> = { docx: "docx", manuscript: "docx", pdf: "pdf", epub: "epub", txt: "txt", md: "md" };

export function exportExtension(format: ExportFormat): string {
  return EXTENSIONS[format];
}

export function isExportFormat(value: string): value is ExportFormat {
  return (EXPORT_FORMATS as readonly string[]).includes(value);
}

/**
 * What an export is doing, in order: reading the book's notes, parsing its chapters (the step that
 * counts, chapter by chapter), packing the file, writing it. Listed here so the companion's API can name
 * them without loading the exporter.
 */
export const EXPORT_STAGES = ["reading", "chapters", "packing", "writing"] as const;
export type ExportStage = (typeof EXPORT_STAGES)[number];

