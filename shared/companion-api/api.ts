/**
 * The companion's HTTP API (`/api/v1`), as zod schemas shared by the server (which validates every
 * request and serialises every response through them) and the plugin's client (which can parse what it
 * gets back). Runs on Obsidian mobile too: no Node built-ins here.
 *
 * Every route but `GET /health` needs `Authorization: Bearer <token>`. Writes are `application/json`.
 * Errors are `{ error: string }` (see {@link ApiError}).
 */
import * as z from "zod";
import { normalizeVaultPath, VaultError } from "../vault/vault-files";

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
  if (path.length === 0) return "must not be empty";
  if (path.length > MAX_PATH_LENGTH) return `must be at most ${MAX_PATH_LENGTH} characters`;
  if (path.includes("\0")) return "must not contain NUL";
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  if (/[\x01-\x1f\x7f]/.test(path)) return "must not contain control characters";
  // In a `u` regex a surrogate pair is one code point, so this finds only unpaired halves.
  if (/[\uD800-\uDFFF]/u.test(path)) return "must be well-formed Unicode (no unpaired surrogates)";
  if (/^[/\\]/.test(path) || /^[a-zA-Z]:/.test(path)) return "must be vault-relative, not absolute";
  let normalized: string;
  try {
    normalized = normalizeVaultPath(path);
  } catch (error) {
    if (error instanceof VaultError) return "must stay inside the vault (no '..' segments)";
    throw error;
  }
  if (normalized === "") return "must name a note, not the vault folder";
  const segments = normalized.split("/");
  if (segments.some((segment) => segment.startsWith("."))) return "must not be in a hidden folder or name a hidden file";
  if (segments.some((segment) => encoder.encode(segment).length > MAX_NAME_BYTES)) return `must not hold a name longer than ${MAX_NAME_BYTES} bytes`;
  if (!/\.md$/i.test(normalized)) return "must name a Markdown note ending in .md";
  return null;
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

// ---- Errors ----

export const ApiError = z.object({
  error: z.string(),
  /** For a 400 on a bad parameter: where it was (`body.note`, `querystring.limit`, `params.id`). */
  field: z.string().optional(),
});
export type ApiError = z.output<typeof ApiError>;
