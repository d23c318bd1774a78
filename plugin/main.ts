/**
 * Wiring only: each feature registers itself from its own module (see docs/architecture.md). `onload`
 * reads the settings and registers commands, views and the settings tab; everything that reads the vault
 * (finding books, resuming this device's batches) waits for layout-ready, so Obsidian starts as fast
 * with Bookwright as without it.
 */
import { Notice, Platform, Plugin, requestUrl } from "obsidian";
import { DEFAULT_AGENT_MODELS } from "../shared/agents/run";
import { scanBooks } from "../shared/book/scan";
import { testConnection } from "../shared/llm/connection-test";
import { registerBookStatsCommand } from "./commands/book-stats";
import { registerExportCommand } from "./commands/export";
import { registerGenerateCommands } from "./commands/generate";
import { registerBookCommands } from "./commands/new-book";
import { registerRevisionCommands } from "./commands/revisions";
import { registerSeriesCommands } from "./commands/series";
import { companionFromSettings } from "./local-service/client";
import { EditorIdle } from "./editor-idle";
import { QueueController } from "./queue/queue-controller";
import { DEFAULT_SETTINGS, migrateSettings, type BookwrightSettings } from "./settings";
import { BookwrightSettingTab } from "./settings-tab";
import { registerStatusBar } from "./status-bar";
import { ObsidianVault } from "./vault/obsidian-vault";
import { registerDashboard } from "./views/dashboard-view";
import { registerCharactersView } from "./views/characters-view";
import { registerQueueView } from "./views/queue-view";
import { registerReportView } from "./views/report-view";
import { registerSeriesView } from "./views/series-view";
import { registerTimelineView } from "./views/timeline-view";

/** Where an API key found in plain text in data.json (an old habit) is moved to. */
const MOVED_KEY_SECRET = "bookwright-anthropic-api-key";

export default class BookwrightPlugin extends Plugin {
  override settings: BookwrightSettings = structuredClone(DEFAULT_SETTINGS);
  private controller: QueueController | undefined;

  override async onload(): Promise<void> {
    await this.loadSettings();
    const vault = new ObsidianVault(this.app);
    const idle = new EditorIdle(this);
    const settings = () => this.settings;
    const controller = new QueueController({ app: this.app, vault, settings, whenIdle: (path) => idle.whenIdle(path) });
    this.controller = controller;

    registerBookStatsCommand(this, vault);
    registerBookCommands(this, { vault });
    registerGenerateCommands(this, { controller, vault, settings });
    registerRevisionCommands(this, { vault, companion: () => companionFromSettings(this.app, this.settings) });
    registerExportCommand(this, { vault, settings, companion: () => companionFromSettings(this.app, this.settings) });
    registerQueueView(this, controller, { settings });
    registerDashboard(this, { vault, controller });
    registerReportView(this, { vault });
    registerCharactersView(this, { vault });
    registerTimelineView(this, { vault });
    registerSeriesView(this, { vault });
    registerSeriesCommands(this, { vault });
    registerStatusBar(this, { vault });
    this.addSettingTab(
      new BookwrightSettingTab(this.app, this, {
        settings,
        save: (next) => this.saveSettings(next),
        testConnection: () => this.testConnection(),
      }),
    );

    this.app.workspace.onLayoutReady(() => {
      void this.resumeBatches(vault);
    });
  }

  override onunload(): void {
    // Requests in flight are aborted and their jobs go back to the queue; the next start resumes them.
    this.controller?.stopAll();
  }

  private async loadSettings(): Promise<void> {
    const migrated = migrateSettings(await this.loadData());
    this.settings = migrated.settings;
    if (migrated.plaintextApiKey) {
      this.app.secretStorage.setSecret(MOVED_KEY_SECRET, migrated.plaintextApiKey);
      this.settings.apiKeySecret = MOVED_KEY_SECRET;
    }
    if (migrated.changed) await this.saveData(this.settings);
    for (const warning of migrated.warnings) new Notice(`Bookwright: ${warning}`);
  }

  private async saveSettings(next: BookwrightSettings): Promise<void> {
    this.settings = next;
    await this.saveData(next);
  }

  private testConnection(): ReturnType<typeof testConnection> {
    const { apiKeySecret, baseUrl, models } = this.settings;
    return testConnection({
      baseURL: baseUrl,
      apiKey: apiKeySecret ? (this.app.secretStorage.getSecret(apiKeySecret) ?? "") : "",
      model: models.writer ?? DEFAULT_AGENT_MODELS.writer,
      origin: Platform.isMobile ? "capacitor://localhost" : "app://obsidian.md",
      // requestUrl ignores CORS, so it tells "the server is down" from "the server refuses this origin".
      reachable: (url) => requestUrl({ url, throw: false }).then(() => true, () => false),
    });
  }

  /** After layout-ready: find the books and resume this device's unfinished batches (never another device's). */
  private async resumeBatches(vault: ObsidianVault): Promise<void> {
    try {
      const { books } = await scanBooks(vault);
      await this.controller?.resumeOwn(books.map((b) => b.folder));
    } catch (error) {
      new Notice(`Bookwright could not resume its batches: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
