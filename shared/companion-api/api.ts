/**
 * The companion's HTTP API (`/api/v1`), as zod schemas shared by the server (which validates every
 * request and serialises every response through them) and the plugin's client (which can parse what it
 * gets back). Runs on Obsidian mobile too: no Node built-ins here.
 *
 * Every route but `GET /health` needs `Authorization: Bearer <token>`. Writes are `application/json`.
 * Errors are `{ error: string }` (see {@link ApiError}).
 */
import * as z from "zod";
import { EXPORT_FORMATS, EXPORT_STAGES, TRIM_SIZES } from "../export/formats";
import { normalizeVaultPath, VaultError } from "../vault/vault-files";
export * from "./series-api";

export const API_PREFIX = "/api/v1";

/** The port the companion listens on unless told otherwise (on 127.0.0.1 only). */
export const DEFAULT_COMPANION_PORT = 27_125;

/** The largest request body the companion reads. */
export const MAX_BODY_BYTES = 2 * 1024 * 1024;

/** Longest vault-relative path accepted (Windows' long-path limit; far beyond any real note). */
const MAX_PATH_LENGTH = 1024;
/** Longest file or folder name most file systems take, in UTF-8 bytes. */
const MAX_NAME_BYTES = 255;
const encoder = new TextEncoder();

/**
 * Why `path` cannot name a note, or null when it can: empty, absolute (`/x`, `\x`, `C:\x`, `\\host\x`),
 * a `..` segment (after `\` is read as `/`), a NUL, a hidden segment (`.obsidian`, `.trash`, `.git`), a
 * name longer than file systems allow, or not a Markdown note (`.md`).
 */
export function notePathProblem(path: string): string | null {
  const checked = vaultPathChecks(path);
  if (typeof checked !== "string") return checked.problem;
  if (checked === "") return "must name a note, not the vault folder";
  if (!/\.md$/i.test(checked)) return "must name a Markdown note ending in .md";
  return null;
}

/**
 * Why `path` cannot name a file or folder inside the vault (the checks {@link notePathProblem} makes,
 * but any kind of file), or null when it can. A book folder, a cover image, a font folder.
 */
export function vaultPathProblem(path: string, kind: "file" | "folder"): string | null {
  const checked = vaultPathChecks(path);
  if (typeof checked !== "string") return checked.problem;
  if (checked === "") return `must name a ${kind}, not the vault folder`;
  return null;
}

/** The normalised path, or the problem with it. */
function vaultPathChecks(path: string): string | { problem: string } {
  const problem = (text: string): { problem: string } => ({ problem: text });
  if (path.length === 0) return problem("must not be empty");
  if (path.length > MAX_PATH_LENGTH) return problem(`must be at most ${MAX_PATH_LENGTH} characters`);
  if (path.includes("\0")) return problem("must not contain NUL");
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  if (/[\x01-\x1f\x7f]/.test(path)) return problem("must not contain control characters");
  // In a `u` regex a surrogate pair is one code point, so this finds only unpaired halves.
  if (/[\uD800-\uDFFF]/u.test(path)) return problem("must be well-formed Unicode (no unpaired surrogates)");
  if (/^[/\\]/.test(path) || /^[a-zA-Z]:/.test(path)) return problem("must be vault-relative, not absolute");
  let normalized: string;
  try {
    normalized = normalizeVaultPath(path);
  } catch (error) {
    if (error instanceof VaultError) return problem("must stay inside the vault (no '..' segments)");
    throw error;
  }
  if (normalized === "") return "";
  const segments = normalized.split("/");
  if (segments.some((segment) => segment.startsWith("."))) return problem("must not be in a hidden folder or name a hidden file");
  if (segments.some((segment) => encoder.encode(segment).length > MAX_NAME_BYTES)) return problem(`must not hold a name longer than ${MAX_NAME_BYTES} bytes`);
  return normalized;
}

/** A note's vault-relative path; parsing normalises it (`A\\B//c.md` → `A/B/c.md`). */
export const NotePath = z
  .string({ error: (issue) => (issue.input === undefined ? "note is required" : "note must be a string (a vault-relative path)") })
  .transform((path, ctx) => {
    const problem = notePathProblem(path);
    if (problem !== null) {
      ctx.addIssue({ code: "custom", message: `note path ${problem}` });
      return z.NEVER;
    }
    return normalizeVaultPath(path);
  });

/** A revision id: opaque, but never a path (letters, digits, `-` and `_`). */
export const RevisionId = z
  .string()
  .min(1, "revision id must not be empty")
  .max(128, "revision id is too long")
  .regex(/^[A-Za-z0-9_-]+$/, "revision id may hold only letters, digits, '-' and '_'");

export const RevisionSource = z.enum(["plugin", "watcher", "restore", "cli"]);

export const RevisionSummary = z.object({
  id: z.string(),
  note: z.string(),
  createdAt: z.string(),
  source: RevisionSource,
  words: z.number(),
  wordDelta: z.number(),
  bytes: z.number(),
  label: z.string().optional(),
});
export type RevisionSummary = z.output<typeof RevisionSummary>;

export const Revision = RevisionSummary.extend({ text: z.string() });
export type Revision = z.output<typeof Revision>;

/** A small decimal integer from a query string. */
const QueryInteger = (name: string, min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,7}$/, `${name} must be a whole number`)
    .transform(Number)
    .pipe(z.number().int().min(min, `${name} must be at least ${min}`).max(max, `${name} must be at most ${max}`));

// ---- GET /health (no token) ----

export const HealthResponse = z.object({ ok: z.literal(true), version: z.string(), vaultPath: z.string() });
export type HealthResponse = z.output<typeof HealthResponse>;

// ---- GET /revisions?note&limit&before ----

export const MAX_LIST_LIMIT = 500;

export const ListRevisionsQuery = z.object({
  note: NotePath,
  /** @default 50 */
  limit: QueryInteger("limit", 1, MAX_LIST_LIMIT).optional(),
  /** A revision id of the same note: list the revisions older than it (the next page). */
  before: RevisionId.optional(),
});
export type ListRevisionsQuery = z.input<typeof ListRevisionsQuery>;

export const ListRevisionsResponse = z.object({ note: z.string(), revisions: z.array(RevisionSummary) });
export type ListRevisionsResponse = z.output<typeof ListRevisionsResponse>;

// ---- POST /revisions ----

export const CaptureRequest = z.object({
  note: NotePath,
  /** The text to keep; when absent the companion reads the note from the vault itself. */
  text: z.string().optional(),
  label: z.string().max(500, "label must be at most 500 characters").optional(),
  /** A retry with the same key gets the first attempt's revision instead of a second one. */
  idempotencyKey: z
    .string()
    .min(1, "idempotencyKey must not be empty")
    .max(200, "idempotencyKey must be at most 200 characters")
    .regex(/^[\x21-\x7e]+$/, "idempotencyKey may hold only visible ASCII characters")
    .optional(),
});
export type CaptureRequest = z.input<typeof CaptureRequest>;

/** 201 when a revision was stored, 200 when the text equalled the latest revision or the key was seen. */
export const CaptureResponse = z.object({ revision: RevisionSummary, created: z.boolean() });
export type CaptureResponse = z.output<typeof CaptureResponse>;

// ---- GET /revisions/:id, /revisions/:id/diff, POST /revisions/:id/restore ----

export const RevisionParams = z.object({ id: RevisionId });

export const RevisionResponse = Revision;

export const DiffQuery = z.object({
  /** What the revision is compared against: another revision's id, or the note as it is now. @default "current" */
  against: z.union([z.literal("current"), RevisionId], { error: "against must be 'current' or a revision id" }).optional(),
});
export type DiffQuery = z.input<typeof DiffQuery>;

export const DiffOp = z.object({ op: z.enum(["equal", "insert", "delete"]), text: z.string() });

/**
 * The changes from `against` (the base, `delete` ops) to the revision (`insert` ops). Against `current`
 * this is what restoring the revision would do to the note.
 */
export const DiffResponse = z.object({
  revision: RevisionSummary,
  /** `"current"` or the id of the revision compared against. */
  against: z.string(),
  ops: z.array(DiffOp),
  words: z.object({
    /** Words in the base text. */
    against: z.number(),
    /** Words in the revision's text. */
    revision: z.number(),
    inserted: z.number(),
    deleted: z.number(),
  }),
});
export type DiffResponse = z.output<typeof DiffResponse>;

export const RestoreRequest = z.object({
  label: z.string().max(500, "label must be at most 500 characters").optional(),
});
export type RestoreRequest = z.input<typeof RestoreRequest>;

export const RestoreResponse = z.object({
  /** The note's text as it was just before the restore, kept when it differed; null when nothing was kept. */
  before: CaptureResponse.nullable(),
  /** The restored text, captured with source "restore". */
  restored: CaptureResponse,
});
export type RestoreResponse = z.output<typeof RestoreResponse>;

// ---- GET /notes ----

export const NotesResponse = z.object({ notes: z.array(z.string()) });
export type NotesResponse = z.output<typeof NotesResponse>;

// ---- GET /events (text/event-stream) ----

export const REVISION_CAPTURED_EVENT = "revision:captured";

/** The `data` of a `revision:captured` event. */
export const RevisionCapturedEvent = z.object({ revision: RevisionSummary });
export type RevisionCapturedEvent = z.output<typeof RevisionCapturedEvent>;

// ---- Export jobs: POST /exports, GET /exports, GET /exports/:id, GET /exports/:id/download, DELETE /exports/:id ----

/** A vault-relative path (file or folder) checked as {@link vaultPathProblem} does; parsing normalises it. */
const VaultPath = (field: string, kind: "file" | "folder") =>
  z
    .string({ error: (issue) => (issue.input === undefined ? `${field} is required` : `${field} must be a string (a vault-relative path)`) })
    .transform((path, ctx) => {
      const problem = vaultPathProblem(path, kind);
      if (problem !== null) {
        ctx.addIssue({ code: "custom", message: `${field} path ${problem}` });
        return z.NEVER;
      }
      return normalizeVaultPath(path);
    });

/** Fields an object does not know are refused, naming them: a typo in an option must not go unnoticed. */
const strict = <T extends z.core.$ZodLooseShape>(shape: T) =>
  z.strictObject(shape, {
    error: (issue) => (issue.code === "unrecognized_keys" ? `unknown field${issue.keys.length === 1 ? "" : "s"} ${issue.keys.map((k) => `'${k}'`).join(", ")}` : undefined),
  });

export const ExportFormatSchema = z.enum(EXPORT_FORMATS, { error: `format must be one of ${EXPORT_FORMATS.join(", ")}` });

/** The body-text sizes an export accepts, in points (the CLI's --font-size range). */
export const EXPORT_FONT_SIZE_PT = { min: 8, max: 16 } as const;
/** At most this many chapter numbers in one request (the chapter field's own limit in the modal). */
const MAX_CHAPTER_NUMBERS = 10_000;

/**
 * Each format's options, as exportBook takes them (`shared/export/export-book.ts`); an option a format
 * does not use is ignored by it. Absent means exportBook's default (mostly: what Book.md says).
 */
export const ExportJobOptions = strict({
  /** "all", or chapter numbers (any order; they come out in reading order). @default "all" */
  chapters: z
    .union(
      [
        z.literal("all"),
        z
          .array(z.number().int("chapter numbers must be whole numbers").min(1, "chapter numbers start at 1").max(1_000_000, "chapter numbers must be at most 1000000"))
          .min(1, "chapters must list at least one chapter number")
          .max(MAX_CHAPTER_NUMBERS, `chapters must list at most ${MAX_CHAPTER_NUMBERS} numbers`),
      ],
      {
        error: "chapters must be \"all\" or a list of chapter numbers",
      },
    )
    .optional(),
  /** @default true */
  smartTypography: z.boolean().optional(),
  /** PDF and book DOCX. @default "6x9" */
  trim: z.enum(TRIM_SIZES, { error: `trim must be one of ${TRIM_SIZES.join(", ")}` }).optional(),
  /** PDF and book DOCX, in points. */
  fontSizePt: z
    .number()
    .min(EXPORT_FONT_SIZE_PT.min, `fontSizePt must be at least ${EXPORT_FONT_SIZE_PT.min}`)
    .max(EXPORT_FONT_SIZE_PT.max, `fontSizePt must be at most ${EXPORT_FONT_SIZE_PT.max}`)
    .optional(),
  /** PDF and book DOCX. @default true */
  titlePage: z.boolean().optional(),
  /** PDF and book DOCX. @default true */
  toc: z.boolean().optional(),
  /** Manuscript title-page contact lines. @default Book.md's contact, else the author */
  contact: z.array(z.string().max(200, "each contact line must be at most 200 characters")).max(20, "contact must be at most 20 lines").optional(),
  /** Manuscript in Courier New instead of Times New Roman. @default false */
  courier: z.boolean().optional(),
  /** EPUB cover: a JPEG's vault path, or null for none. @default Book.md's cover */
  cover: VaultPath("cover", "file").nullable().optional(),
  /** EPUB description. @default Book.md's description */
  description: z.string().max(10_000, "description must be at most 10000 characters").optional(),
  /** PDF: a placeholder where the fonts lack a character, instead of refusing. @default false */
  markMissingCharacters: z.boolean().optional(),
  /** PDF: a vault folder of the writer's own regular, italic, bold and bold italic fonts. @default EB Garamond */
  fontFolder: VaultPath("fontFolder", "folder").optional(),
});
export type ExportJobOptions = z.output<typeof ExportJobOptions>;

export const StartExportRequest = strict({
  /** The book's folder, vault-relative (the folder holding Book.md or a Longform index note). */
  book: VaultPath("book", "folder"),
  format: ExportFormatSchema,
  options: ExportJobOptions.optional(),
});
export type StartExportRequest = z.input<typeof StartExportRequest>;

export const EXPORT_JOB_STATES = ["queued", "running", "succeeded", "failed", "cancelled"] as const;
export const ExportJobState = z.enum(EXPORT_JOB_STATES);
export type ExportJobState = z.output<typeof ExportJobState>;
/** The states a job never leaves. */
export const FINISHED_EXPORT_STATES: readonly ExportJobState[] = ["succeeded", "failed", "cancelled"];

/** Where a job is: waiting in the queue, one of the exporter's stages, or done (whatever the outcome). */
export const ExportJobStage = z.enum(["queued", ...EXPORT_STAGES, "done"]);
export type ExportJobStage = z.output<typeof ExportJobStage>;

export const ExportJobProgress = z.object({
  /** Chapters parsed so far. */
  done: z.number(),
  /** Chapters to parse; 0 until the book has been read. */
  total: z.number(),
  stage: ExportJobStage,
});
export type ExportJobProgress = z.output<typeof ExportJobProgress>;

export const ExportJobResult = z.object({
  /** The name the download is given: `<Title> (<format>).<extension>`, as an export in the vault is named. */
  fileName: z.string(),
  /** The book's title. */
  title: z.string(),
  bytes: z.number(),
  chapters: z.number(),
  words: z.number(),
  warnings: z.array(z.string()),
});
export type ExportJobResult = z.output<typeof ExportJobResult>;

/** A job id: opaque, never a path. */
export const ExportJobId = z
  .string()
  .min(1, "export id must not be empty")
  .max(128, "export id is too long")
  .regex(/^[A-Za-z0-9_-]+$/, "export id may hold only letters, digits, '-' and '_'");

export const ExportJob = z.object({
  id: z.string(),
  state: ExportJobState,
  book: z.string(),
  format: ExportFormatSchema,
  createdAt: z.string(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  progress: ExportJobProgress,
  /** When succeeded. */
  result: ExportJobResult.optional(),
  /** When failed or cancelled: why, in words a writer can act on. */
  error: z.string().optional(),
});
export type ExportJob = z.output<typeof ExportJob>;

export const ExportParams = z.object({ id: ExportJobId });

/** Newest first. */
export const ListExportsResponse = z.object({ exports: z.array(ExportJob) });
export type ListExportsResponse = z.output<typeof ListExportsResponse>;

/** `export:state` on `GET /events`: a job was queued, started, or finished (any way). */
export const EXPORT_STATE_EVENT = "export:state";
/** `export:progress` on `GET /events`: a running job moved to another stage or parsed another chapter. */
export const EXPORT_PROGRESS_EVENT = "export:progress";
/** `export:removed` on `GET /events`: a finished job and its file were removed (DELETE, or retention). */
export const EXPORT_REMOVED_EVENT = "export:removed";

/** The `data` of `export:state` and `export:progress` events. */
export const ExportJobEvent = z.object({ job: ExportJob });
export type ExportJobEvent = z.output<typeof ExportJobEvent>;
/** The `data` of an `export:removed` event. */
export const ExportRemovedEvent = z.object({ id: z.string() });
export type ExportRemovedEvent = z.output<typeof ExportRemovedEvent>;

// ---- Errors ----

export const ApiError = z.object({
  error: z.string(),
  /** For a 400 on a bad parameter: where it was (`body.note`, `querystring.limit`, `params.id`). */
  field: z.string().optional(),
});
export type ApiError = z.output<typeof ApiError>;
