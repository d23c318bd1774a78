/**
 * migrateSettings: whatever data.json holds (nothing, an old version, hand-edited mistakes, a key in plain
 * text, a file from a newer Bookwright) becomes valid settings, and every value it could not keep is named.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_SETTINGS, SETTINGS_VERSION, migrateSettings, type BookwrightSettings } from "./settings";

/** Settings as a current data.json holds them, with every field away from its default. */
const STORED: BookwrightSettings = {
  version: SETTINGS_VERSION,
  apiKeySecret: "anthropic-key",
  baseUrl: "http://localhost:11434",
  models: { architect: "qwen3:32b", writer: "qwen3:32b", continuity: "qwen3:14b", timeline: "qwen3:4b", characters: "qwen3:4b" },
  concurrency: 5,
  mode: "plan-ahead",
  costCapUsd: 12.5,
  companionUrl: "http://127.0.0.1:9000",
  companionTokenSecret: "companion-token",
  exportDefaults: { format: "pdf", trim: "6x9", fontSizePt: 12 },
  printFontFolder: "Fonts/Lora",
  overusedPhrases: ["nodded slowly"],
};

describe("migrateSettings", () => {
  it("gives the defaults on first run (no data.json), with nothing to warn about or rewrite", () => {
    for (const raw of [null, undefined]) {
      const result = migrateSettings(raw);
      expect(result).toEqual({ settings: DEFAULT_SETTINGS, warnings: [], changed: false });
      expect(result.settings).not.toBe(DEFAULT_SETTINGS);
    }
  });

  it("keeps valid current settings as they are", () => {
    const result = migrateSettings(structuredClone(STORED));
    expect(result).toEqual({ settings: STORED, warnings: [], changed: false });
  });

  it("falls back to the default of each bad value, with one warning naming each field", () => {
    const result = migrateSettings({
      ...structuredClone(STORED),
      concurrency: 40,
      mode: "all-at-once",
      costCapUsd: -1,
      exportDefaults: { format: "rtf", trim: "6x9", fontSizePt: 12 },
      overusedPhrases: "nodded slowly",
    });
    expect(result.settings).toEqual({
      ...STORED,
      concurrency: DEFAULT_SETTINGS.concurrency,
      mode: DEFAULT_SETTINGS.mode,
      costCapUsd: DEFAULT_SETTINGS.costCapUsd,
      exportDefaults: DEFAULT_SETTINGS.exportDefaults,
      overusedPhrases: DEFAULT_SETTINGS.overusedPhrases,
    });
    expect(result.changed).toBe(true);
    expect(result.warnings).toHaveLength(5);
    for (const field of ["concurrency", "mode", "costCapUsd", "exportDefaults", "overusedPhrases"]) {
      expect(result.warnings.filter((w) => w.includes(`${field}:`))).toHaveLength(1);
    }
    expect(result.warnings.find((w) => w.includes("concurrency:"))).toContain(`using the default (${DEFAULT_SETTINGS.concurrency})`);
  });

  it("reads the Word formats under their first names", () => {
    for (const [old, now] of [["docx-manuscript", "manuscript"], ["docx-book", "docx"]] as const) {
      const result = migrateSettings({ ...structuredClone(STORED), exportDefaults: { format: old, trim: "6x9", fontSizePt: 12 } });
      expect(result.settings.exportDefaults.format).toBe(now);
      expect(result.warnings).toEqual([]);
    }
  });

  it("fills missing fields of an older file from the defaults and marks it for rewriting", () => {
    const result = migrateSettings({ apiKeySecret: "anthropic-key", concurrency: 2 });
    expect(result.settings).toEqual({ ...DEFAULT_SETTINGS, apiKeySecret: "anthropic-key", concurrency: 2 });
    expect(result.warnings).toEqual([]);
    expect(result.changed).toBe(true);
  });

  it("reports a plain-text API key, hands it over to be moved, and does not keep it", () => {
    const result = migrateSettings({ apiKey: "  sk-ant-plaintext-0123  ", concurrency: 2 });
    expect(result.plaintextApiKey).toBe("sk-ant-plaintext-0123");
    expect(result.changed).toBe(true);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatch(/API key in plain text/);
    expect(JSON.stringify(result.settings)).not.toContain("sk-ant-plaintext");
    expect(result.settings).not.toHaveProperty("apiKey");
  });

  it("ignores an empty plain-text key", () => {
    const result = migrateSettings({ ...structuredClone(STORED), apiKey: "   " });
    expect(result).not.toHaveProperty("plaintextApiKey");
    expect(result.warnings).toEqual([]);
  });

  it("warns about a file written by a newer Bookwright", () => {
    const result = migrateSettings({ ...structuredClone(STORED), version: SETTINGS_VERSION + 1, newFeature: true });
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatch(new RegExp(`newer Bookwright \\(settings version ${SETTINGS_VERSION + 1}\\)`));
    expect(result.settings).toEqual(STORED);
    // Not rewritten on load: the newer keys stay on disk until the writer changes a setting here.
    expect(result.changed).toBe(false);
  });

  it("drops keys it does not know", () => {
    const result = migrateSettings({ ...structuredClone(STORED), theme: "dark", legacy: { a: 1 } });
    expect(Object.keys(result.settings).sort()).toEqual(Object.keys(DEFAULT_SETTINGS).sort());
    expect(result.settings).not.toHaveProperty("theme");
    expect(result.settings).not.toHaveProperty("legacy");
  });

  it("falls back to no overrides when models names an agent that does not exist", () => {
    const result = migrateSettings({ ...structuredClone(STORED), models: { ...STORED.models, poet: "y" } });
    expect(result.settings.models).toEqual(DEFAULT_SETTINGS.models);
    expect(result.warnings.filter((w) => w.includes("models:"))).toHaveLength(1);
  });

  // Fails today: settings.ts validates models with z.record(z.enum(AGENTS), …), which zod 4 makes
  // exhaustive (every agent required), so overriding one agent's model is thrown away on the next load.
  // z.partialRecord is the fix; then this becomes a plain `it`.
  it("keeps a model override for some of the agents", () => {
    const result = migrateSettings({ ...structuredClone(STORED), models: { writer: "qwen3:32b" } });
    expect(result.settings.models).toEqual({ writer: "qwen3:32b" });
    expect(result.warnings).toEqual([]);
  });

  it("replaces data that is not an object with the defaults, saying so", () => {
    for (const raw of ["settings", 3, [1, 2]]) {
      const result = migrateSettings(raw);
      expect(result.settings).toEqual(DEFAULT_SETTINGS);
      expect(result.warnings).toEqual(["data.json: expected an object of settings; using the defaults"]);
      expect(result.changed).toBe(true);
    }
  });
});
