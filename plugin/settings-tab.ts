/**
 * Bookwright's settings tab. It edits a draft copy of the settings and hands every change to `save` at
 * once, so nothing waits for a "Save" button, and it never holds a secret: the API key and the companion
 * token are chosen with Obsidian's secret picker, whose value is the secret's id, and only that id is
 * saved (see settings.ts).
 *
 * A typed value that cannot work (a cost cap of "abc", an address without http://) is not saved; the
 * field says what is wrong beside it, and the last good value stays in force.
 */
import { Notice, PluginSettingTab, SecretComponent, Setting, type App, type Plugin } from "obsidian";
import { DEFAULT_AGENT_MODELS, type AgentModels } from "../shared/agents/run";
import { DEFAULT_PHRASES } from "../shared/checks/default-phrases";
import { ANTHROPIC_BASE_URL, BASE_URL_PRESETS, BaseUrlError, normaliseBaseUrl, type BaseUrlPreset } from "../shared/llm/base-url";
import type { ConnectionReport } from "../shared/llm/connection-test";
import type { BatchMode } from "../shared/queue/jobs";
import { EXPORT_FORMAT_NAMES } from "../shared/export/formats";
import { DEFAULT_SETTINGS, type BookwrightSettings, type ExportFormat } from "./settings";

export interface SettingTabDeps {
  /** The settings in force (read when the tab opens). */
  settings(): BookwrightSettings;
  /** Stores the whole new settings; called once per change, in order, each after the previous one finished. */
  save(next: BookwrightSettings): Promise<void>;
  /** Tries the saved key, server and model (the plugin builds it with testConnection from shared/llm). */
  testConnection(): Promise<ConnectionReport>;
}

type AgentName = keyof AgentModels;

const AGENTS: Record<AgentName, { name: string; desc: string }> = {
  architect: { name: "Architect", desc: "Plans each chapter: the brief the writer works from." },
  writer: { name: "Writer", desc: "Drafts the chapters. The strongest model you have pays off most here." },
  continuity: { name: "Continuity", desc: "Summarises each chapter and checks it against what came before." },
  timeline: { name: "Timeline", desc: "Extracts when things happen. A small, fast model is enough." },
  characters: { name: "Characters", desc: "Tracks who appears and what changes for them. A small, fast model is enough." },
};

const MODES: Record<BatchMode, string> = {
  sequential: "Sequential",
  "plan-ahead": "Plan ahead",
};

const FORMATS: Record<ExportFormat, string> = EXPORT_FORMAT_NAMES;

const TRIMS: Record<BookwrightSettings["exportDefaults"]["trim"], string> = {
  "5x8": "5 × 8 in",
  "5.25x8": "5.25 × 8 in",
  "5.5x8.5": "5.5 × 8.5 in",
  "6x9": "6 × 9 in",
};

/** The slider's range; settings.ts accepts up to 16 for hand-edited files, but more than 8 mostly meets rate limits. */
const MAX_CONCURRENCY_SLIDER = 8;
const CUSTOM_SERVER = "custom";
/** The range settings.ts accepts. */
const MIN_FONT_PT = 8;
const MAX_FONT_PT = 16;

/**
 * Built with `display()`, which lint flags (prefer-setting-definitions): the declarative
 * `getSettingDefinitions()` API exists only from Obsidian 1.13, and on 1.13+ Obsidian would then skip
 * `display()`, while Bookwright supports 1.11.4 (secret storage) upwards. Settings search on 1.13 is the
 * price; the tab works on every supported version.
 */
export class BookwrightSettingTab extends PluginSettingTab {
  /** The settings as edited here; every change is saved from this, so quick changes never undo each other. */
  private draft: BookwrightSettings = structuredClone(DEFAULT_SETTINGS);
  /** The chain of saves, so they land in the order they were made. */
  private saving: Promise<void> = Promise.resolve();

  constructor(
    app: App,
    plugin: Plugin,
    private readonly deps: SettingTabDeps,
  ) {
    super(app, plugin);
  }

  // minAppVersion is 1.11.4, so display() is what renders the tab. getSettingDefinitions() (1.13+, for
  // settings search) would make Obsidian skip display() and needs the whole tab written declaratively.
  override display(): void {
    this.draft = structuredClone(this.deps.settings());
    const { containerEl } = this;
    containerEl.empty();
    this.modelAccess(containerEl);
    this.models(containerEl);
    this.generation(containerEl);
    this.companion(containerEl);
    this.exports(containerEl);
    this.styleChecks(containerEl);
  }

  /** Waits for every change made so far to be saved (the test button uses it; so can tests). */
  settled(): Promise<void> {
    return this.saving;
  }

  private change(change: Partial<BookwrightSettings>): Promise<void> {
    this.draft = { ...this.draft, ...change };
    const next = structuredClone(this.draft);
    this.saving = this.saving
      .then(() => this.deps.save(next))
      .catch((error: unknown) => {
        new Notice(`Bookwright could not save its settings: ${error instanceof Error ? error.message : String(error)}`);
      });
    return this.saving;
  }

  private modelAccess(containerEl: HTMLElement): void {
    new Setting(containerEl).setName("Model access").setHeading();

    new Setting(containerEl)
      .setName("API key")
      .setDesc("Choose or create a secret holding your Anthropic API key. Obsidian keeps the key in its secret storage; Bookwright's settings only name the secret. A local server needs none.")
      .addComponent((el) =>
        new SecretComponent(this.app, el).setValue(this.draft.apiKeySecret).onChange((id) => {
          void this.change({ apiKeySecret: id });
        }),
      );

    let addressInput: HTMLInputElement | undefined;
    const serverSetting = new Setting(containerEl).setName("Server").setDesc("Where requests go: the Anthropic API, or a model server on your computer.");
    const presetNote = serverSetting.descEl.createDiv({ cls: "bookwright-setting-note" });
    const showPreset = (id: string) => presetNote.setText(BASE_URL_PRESETS.find((p) => p.id === id)?.note ?? "Any server that speaks the Anthropic Messages API.");
    let serverDropdown: { setValue(value: string): unknown } | undefined;
    serverSetting.addDropdown((dropdown) => {
      serverDropdown = dropdown;
      for (const preset of BASE_URL_PRESETS) dropdown.addOption(preset.id, preset.name);
      dropdown.addOption(CUSTOM_SERVER, "Another server");
      const current = presetOf(this.draft.baseUrl);
      dropdown.setValue(current);
      showPreset(current);
      dropdown.onChange((id) => {
        showPreset(id);
        const preset = BASE_URL_PRESETS.find((p) => p.id === id);
        if (!preset) {
          // "Another server": the address is the writer's to type.
          addressInput?.focus();
          return;
        }
        const url = preset.id === "anthropic" ? "" : preset.baseURL;
        if (addressInput) addressInput.value = url;
        showAddress("", "");
        void this.change({ baseUrl: url });
      });
    });

    const addressSetting = new Setting(containerEl)
      .setName("Server address")
      .setDesc("Leave empty for the Anthropic API. Only the scheme, host and port: Bookwright adds /v1/messages itself.");
    const showAddress = feedback(addressSetting);
    addressSetting.addText((text) => {
      addressInput = text.inputEl;
      text.setPlaceholder(ANTHROPIC_BASE_URL).setValue(this.draft.baseUrl);
      text.onChange((value) => {
        let normalised: { baseURL?: string; warning?: string };
        try {
          normalised = normaliseBaseUrl(value);
        } catch (error) {
          if (!(error instanceof BaseUrlError)) throw error;
          showAddress(error.message, "");
          return;
        }
        showAddress("", normalised.warning ?? "");
        const baseUrl = normalised.baseURL ?? "";
        serverDropdown?.setValue(presetOf(baseUrl));
        showPreset(presetOf(baseUrl));
        void this.change({ baseUrl });
      });
    });

    const testSetting = new Setting(containerEl).setName("Connection").setDesc("Sends one tiny request (a few tokens) with the key, server and writer model set here.");
    const resultEl = containerEl.createDiv({ cls: "bookwright-connection-result", attr: { "aria-live": "polite" } });
    testSetting.addButton((button) =>
      button.setButtonText("Test connection").onClick(async () => {
        button.setDisabled(true).setButtonText("Testing…");
        resultEl.empty();
        resultEl.removeAttribute("data-result");
        resultEl.setText("Sending a test request…");
        let report: ConnectionReport;
        try {
          // Test what is saved, including a change typed a moment ago.
          await this.saving;
          report = await this.deps.testConnection();
        } catch (error) {
          report = {
            ok: false,
            kind: "rejected",
            problem: `The test could not run: ${error instanceof Error ? error.message : String(error)}`,
            fix: "Check the key and the server address above, then test again.",
          };
        } finally {
          button.setDisabled(false).setButtonText("Test connection");
        }
        showReport(resultEl, report);
      }),
    );
  }

  private models(containerEl: HTMLElement): void {
    new Setting(containerEl)
      .setName("Models")
      .setDesc("Leave a field empty to use the model shown in grey. For a local server, type the model names it lists.")
      .setHeading();
    for (const agent of Object.keys(AGENTS) as AgentName[]) {
      new Setting(containerEl)
        .setName(AGENTS[agent].name)
        .setDesc(AGENTS[agent].desc)
        .addText((text) =>
          text
            .setPlaceholder(DEFAULT_AGENT_MODELS[agent])
            .setValue(this.draft.models[agent] ?? "")
            .onChange((value) => {
              const models = { ...this.draft.models };
              const model = value.trim();
              if (model === "") delete models[agent];
              else models[agent] = model;
              void this.change({ models });
            }),
        );
    }
  }

  private generation(containerEl: HTMLElement): void {
    new Setting(containerEl).setName("Generation").setHeading();

    new Setting(containerEl)
      .setName("Jobs at once")
      .setDesc("How many requests run at the same time. More finishes sooner but reaches your account's rate limit sooner.")
      .addSlider((slider) =>
        slider
          .setLimits(1, MAX_CONCURRENCY_SLIDER, 1)
          .setValue(Math.min(this.draft.concurrency, MAX_CONCURRENCY_SLIDER))
          .onChange((value) => {
            void this.change({ concurrency: value });
          }),
      );

    new Setting(containerEl)
      .setName("Default mode")
      .setDesc("Sequential writes the chapters in order, each knowing what happened before. Plan ahead plans every chapter from the outline and writes them at once, then checks the seams between them: faster, a little less coherent.")
      .addDropdown((dropdown) =>
        dropdown
          .addOptions(MODES)
          .setValue(this.draft.mode)
          .onChange((value) => {
            if (value === "sequential" || value === "plan-ahead") void this.change({ mode: value });
          }),
      );

    const capSetting = new Setting(containerEl)
      .setName("Default cost cap")
      .setDesc("The most a batch may spend, in dollars; it pauses when it gets there. Leave empty for no cap.");
    const showCap = feedback(capSetting);
    capSetting.addText((text) =>
      text
        .setPlaceholder("No cap")
        .setValue(this.draft.costCapUsd === null ? "" : String(this.draft.costCapUsd))
        .onChange((value) => {
          const cap = parseCostCap(value);
          if (!cap.ok) {
            showCap(cap.error, "");
            return;
          }
          showCap("", "");
          void this.change({ costCapUsd: cap.value });
        }),
    );
  }

  private companion(containerEl: HTMLElement): void {
    new Setting(containerEl)
      .setName("Companion")
      .setDesc("The companion is a program on your computer that Obsidian talks to over the network.")
      .setHeading();

    const urlSetting = new Setting(containerEl).setName("Companion address").setDesc("Where the companion listens.");
    const showUrl = feedback(urlSetting);
    urlSetting.addText((text) =>
      text
        .setPlaceholder(DEFAULT_SETTINGS.companionUrl)
        .setValue(this.draft.companionUrl)
        .onChange((value) => {
          const url = value.trim();
          const problem = url === "" ? undefined : companionUrlProblem(url);
          if (problem) {
            showUrl(problem, "");
            return;
          }
          showUrl("", "");
          void this.change({ companionUrl: url });
        }),
    );

    new Setting(containerEl)
      .setName("Companion token")
      .setDesc("Choose or create a secret holding the companion's access token; only the secret's name is saved.")
      .addComponent((el) =>
        new SecretComponent(this.app, el).setValue(this.draft.companionTokenSecret).onChange((id) => {
          void this.change({ companionTokenSecret: id });
        }),
      );
  }

  private exports(containerEl: HTMLElement): void {
    new Setting(containerEl).setName("Exports").setHeading();

    new Setting(containerEl).setName("Default format").addDropdown((dropdown) =>
      dropdown
        .addOptions(FORMATS)
        .setValue(this.draft.exportDefaults.format)
        .onChange((value) => {
          if (value in FORMATS) void this.change({ exportDefaults: { ...this.draft.exportDefaults, format: value as ExportFormat } });
        }),
    );

    new Setting(containerEl)
      .setName("Trim size")
      .setDesc("The page size of PDF and book-layout exports.")
      .addDropdown((dropdown) =>
        dropdown
          .addOptions(TRIMS)
          .setValue(this.draft.exportDefaults.trim)
          .onChange((value) => {
            const trim = (Object.keys(TRIMS) as BookwrightSettings["exportDefaults"]["trim"][]).find((t) => t === value);
            if (trim) void this.change({ exportDefaults: { ...this.draft.exportDefaults, trim } });
          }),
      );

    // A dropdown, not a slider: it names the size in points on every Obsidian version.
    const sizes: Record<string, string> = {};
    for (let pt = MIN_FONT_PT; pt <= MAX_FONT_PT; pt += 0.5) sizes[String(pt)] = `${pt} pt`;
    const current = this.draft.exportDefaults.fontSizePt;
    if (!(String(current) in sizes)) sizes[String(current)] = `${current} pt`;
    new Setting(containerEl)
      .setName("Font size")
      .setDesc("The body text size of PDF and book-layout exports.")
      .addDropdown((dropdown) =>
        dropdown
          .addOptions(sizes)
          .setValue(String(current))
          .onChange((value) => {
            const fontSizePt = Number(value);
            if (fontSizePt >= MIN_FONT_PT && fontSizePt <= MAX_FONT_PT) void this.change({ exportDefaults: { ...this.draft.exportDefaults, fontSizePt } });
          }),
      );

    new Setting(containerEl)
      .setName("Print font folder")
      .setDesc("A vault folder holding your own regular, italic, bold and bold italic .ttf files for PDF exports. Leave it empty to use the built-in book font.")
      .addText((text) =>
        text
          .setPlaceholder("Fonts")
          .setValue(this.draft.printFontFolder)
          .onChange((value) => {
            void this.change({ printFontFolder: value.trim() });
          }),
      );
  }

  private styleChecks(containerEl: HTMLElement): void {
    new Setting(containerEl).setName("Style checks").setHeading();

    new Setting(containerEl)
      .setName("Overused phrases")
      .setDesc(
        `One phrase a line, flagged along with the ${DEFAULT_PHRASES.length} built-in ones (such as "a testament to" and "couldn't help but"). ` +
          "A * on its own stands for any one word, and at the end of a word for any ending.",
      )
      .setClass("bookwright-phrases-setting")
      .addTextArea((area) => {
        area.inputEl.rows = 8;
        area.inputEl.addClass("bookwright-phrases");
        area
          .setPlaceholder("Nodded slowly")
          .setValue(this.draft.overusedPhrases.join("\n"))
          .onChange((value) => {
            void this.change({ overusedPhrases: parsePhrases(value) });
          });
      });
  }
}

/** Which preset a saved base URL is: "" and the Anthropic API are "anthropic"; an unknown one is "custom". */
function presetOf(baseUrl: string): BaseUrlPreset["id"] | typeof CUSTOM_SERVER {
  let normalised: string | undefined;
  try {
    normalised = normaliseBaseUrl(baseUrl).baseURL;
  } catch {
    return CUSTOM_SERVER;
  }
  if (normalised === undefined) return "anthropic";
  return BASE_URL_PRESETS.find((p) => p.baseURL === normalised)?.id ?? CUSTOM_SERVER;
}

/**
 * A line under a setting's description for what is wrong with the typed value (error) or worth knowing
 * about it (warning); empty text hides it.
 */
function feedback(setting: Setting): (error: string, warning: string) => void {
  const el = setting.descEl.createDiv({ attr: { "aria-live": "polite" } });
  return (error, warning) => {
    el.setText(error || warning);
    el.toggleClass("bookwright-setting-error", error !== "");
    el.toggleClass("bookwright-setting-warning", error === "" && warning !== "");
  };
}

function showReport(el: HTMLElement, report: ConnectionReport): void {
  el.empty();
  // An attribute, not an is-* class: styles.css styles only Bookwright's own classes.
  el.setAttr("data-result", report.ok ? "ok" : "error");
  if (report.ok) {
    el.createEl("p", { text: `Connected: ${report.model} answered in ${report.latencyMs} ms.` });
    if (report.warning) el.createEl("p", { cls: "bookwright-muted", text: report.warning });
    return;
  }
  el.createEl("p", { cls: "bookwright-connection-problem", text: report.problem });
  el.createEl("p", { cls: "bookwright-connection-fix", text: report.fix });
}

/**
 * A cost cap as typed: "" is no cap; "5", "12.50" and "$5" are dollars; anything else is explained.
 * @example parseCostCap("$7.5") // { ok: true, value: 7.5 }
 */
export function parseCostCap(text: string): { ok: true; value: number | null } | { ok: false; error: string } {
  const trimmed = text.trim();
  if (trimmed === "") return { ok: true, value: null };
  const match = /^\$?\s*(\d+(?:\.\d*)?|\.\d+)$/.exec(trimmed);
  if (!match?.[1]) return { ok: false, error: `"${trimmed}" is not an amount in dollars. Type a number such as 5 or 12.50, or leave it empty for no cap.` };
  const value = Number(match[1]);
  if (!(value > 0)) return { ok: false, error: "A cap of $0 would stop every batch before it starts. Type an amount above 0, or leave it empty for no cap." };
  return { ok: true, value };
}

/** The phrases of the text area: one a line, trimmed, without empty lines or repeats. */
export function parsePhrases(text: string): string[] {
  return [...new Set(text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== ""))];
}

function companionUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `"${url}" is not a web address. Type one such as ${DEFAULT_SETTINGS.companionUrl}.`;
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return `The companion address must start with http:// or https://, such as ${DEFAULT_SETTINGS.companionUrl}.`;
  return undefined;
}
