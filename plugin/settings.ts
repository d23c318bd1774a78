/**
 * The plugin's settings as data: what `data.json` holds, its defaults, and a pure migration from whatever
 * an older (or hand-edited, or synced-from-a-newer-device) `data.json` holds. Secrets are never here:
 * the API key and the companion token live in Obsidian's secret storage, and data.json keeps only the
 * names (ids) of those secrets, so a synced or shared vault never carries a key.
 */
import * as z from "zod";
import type { AgentModels } from "../shared/agents/run";
import { EXPORT_FORMATS, type ExportFormat } from "../shared/export/formats";
import type { TrimName } from "../shared/export/pdf/trim";
import type { BatchMode } from "../shared/queue/jobs";

export const SETTINGS_VERSION = 1;

export type { ExportFormat };

export interface BookwrightSettings {
  version: typeof SETTINGS_VERSION;
  /** Id of the API key's secret in Obsidian's secret storage ("" = none chosen yet). */
  apiKeySecret: string;
  /** An Anthropic-compatible endpoint; "" is the Anthropic API. */
  baseUrl: string;
  /** Per-agent model overrides; absent agents use Bookwright's defaults. */
  models: Partial<AgentModels>;
  /** Jobs at once. */
  concurrency: number;
  mode: BatchMode;
  /** Default cost cap of a batch in US dollars; null = no cap. */
  costCapUsd: number | null;
  companionUrl: string;
  /** Id of the companion token's secret in Obsidian's secret storage. */
  companionTokenSecret: string;
  exportDefaults: { format: ExportFormat; trim: TrimName; fontSizePt: number };
  /** Vault folder with the writer's own print typeface (regular, italic, bold, bold italic); "" = EB Garamond, built in. */
  printFontFolder: string;
  /** Phrases the writer wants flagged, one per entry, added to the built-in list. */
  overusedPhrases: string[];
}

export const DEFAULT_SETTINGS: BookwrightSettings = {
  version: SETTINGS_VERSION,
  apiKeySecret: "",
  baseUrl: "",
  models: {},
  concurrency: 3,
  mode: "sequential",
  costCapUsd: 5,
  companionUrl: "http://127.0.0.1:27125",
  companionTokenSecret: "",
  exportDefaults: { format: "epub", trim: "5.5x8.5", fontSizePt: 11 },
  printFontFolder: "",
  overusedPhrases: [],
};

const AGENTS = ["architect", "writer", "continuity", "timeline", "characters"] as const;

/** Each field on its own, so one bad value costs only that value. */
const fields = {
  apiKeySecret: z.string(),
  baseUrl: z.string().trim(),
  // Partial: a writer overrides one agent's model and leaves the others to the defaults.
  models: z.partialRecord(z.enum(AGENTS), z.string().trim().min(1)),
  concurrency: z.number().int().min(1).max(16),
  mode: z.enum(["sequential", "plan-ahead"]),
  costCapUsd: z.number().positive().nullable(),
  companionUrl: z.string().trim(),
  companionTokenSecret: z.string(),
  exportDefaults: z.object({
    // The first settings named the Word formats "docx-manuscript" and "docx-book"; exports call them "manuscript" and "docx".
    format: z.preprocess((v) => (v === "docx-manuscript" ? "manuscript" : v === "docx-book" ? "docx" : v), z.enum(EXPORT_FORMATS)),
    trim: z.enum(["5x8", "5.25x8", "5.5x8.5", "6x9"]),
    fontSizePt: z.number().min(8).max(16),
  }),
  printFontFolder: z.string().trim(),
  overusedPhrases: z.array(z.string()),
} satisfies Record<Exclude<keyof BookwrightSettings, "version">, z.ZodType>;

export interface MigratedSettings {
  settings: BookwrightSettings;
  /** What was dropped or moved, in words for a notice ("concurrency: expected 1 to 16, got 40; using 3"). */
  warnings: string[];
  /** True when the stored data should be rewritten (migrated or repaired). */
  changed: boolean;
}

/**
 * Settings from whatever `loadData()` returned: null (first run), an older version, or a file with bad
 * values. Unknown keys are dropped, bad values fall back to their defaults with a warning each, and an
 * API key found in plain text (an old habit, or hand-editing) is reported so it can be moved to secret
 * storage instead of staying in a synced file.
 */
export function migrateSettings(raw: unknown): MigratedSettings & { plaintextApiKey?: string } {
  if (raw === null || raw === undefined) return { settings: structuredClone(DEFAULT_SETTINGS), warnings: [], changed: false };
  if (typeof raw !== "object" || Array.isArray(raw)) {
    return { settings: structuredClone(DEFAULT_SETTINGS), warnings: ["data.json: expected an object of settings; using the defaults"], changed: true };
  }
  const data = raw as Record<string, unknown>;
  const warnings: string[] = [];
  let changed = data.version !== SETTINGS_VERSION;
  if (typeof data.version === "number" && data.version > SETTINGS_VERSION) {
    warnings.push(`data.json: written by a newer Bookwright (settings version ${data.version}); settings this version does not know are kept as they were on disk until you change a setting`);
  }
  const settings = structuredClone(DEFAULT_SETTINGS);
  for (const [key, schema] of Object.entries(fields) as [keyof typeof fields, z.ZodType][]) {
    if (!(key in data)) {
      changed = true;
      continue;
    }
    const parsed = schema.safeParse(data[key]);
    if (parsed.success) (settings as unknown as Record<string, unknown>)[key] = parsed.data;
    else {
      changed = true;
      warnings.push(`data.json: ${key}: ${parsed.error.issues[0]?.message ?? "not valid"}; using the default (${JSON.stringify(DEFAULT_SETTINGS[key])})`);
    }
  }
  // Version 0 (before settings had a version) kept the key itself; never leave it in a synced file.
  const plaintext = typeof data.apiKey === "string" && data.apiKey.trim() !== "" ? data.apiKey.trim() : undefined;
  // A newer Bookwright's file is not rewritten just for being newer: the keys this version drops would go.
  if (typeof data.version === "number" && data.version > SETTINGS_VERSION) changed = false;
  if (plaintext) {
    changed = true;
    warnings.push("data.json held an API key in plain text; it was moved to Obsidian's secret storage and removed from data.json");
  }
  return { settings, warnings, changed, ...(plaintext ? { plaintextApiKey: plaintext } : {}) };
}
