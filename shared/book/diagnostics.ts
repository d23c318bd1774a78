/** A problem found while reading a book: it names the note, the line where known, and what was expected. */
export interface Diagnostic {
  severity: "error" | "warning";
  /** Vault-relative path of the note. */
  path: string;
  /** 1-based line in the note, when known. */
  line?: number;
  /** The frontmatter key concerned, when there is one. */
  field?: string;
  message: string;
}

/** `Book/Chapters/01.md:3 (chapter): expected a whole number, got "one"` — one line, for logs and notices. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line === undefined ? d.path : `${d.path}:${d.line}`;
  const field = d.field === undefined ? "" : ` (${d.field})`;
  return `${d.severity}: ${where}${field}: ${d.message}`;
}
