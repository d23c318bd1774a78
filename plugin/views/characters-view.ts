/**
 * The characters of the book the writer has open, as a graph (who appears with whom, who is related to
 * whom) and, for the character selected, the chapters they appear in with their part and state there.
 * Everything comes from the character notes' keys (`appearances` and `changes` are Bookwright's, written
 * by the Characters agent; `relationships` are the writer's and the agent's). The view only reads.
 */
import { ItemView, Notice, type Plugin, type TAbstractFile, type TFile, type WorkspaceLeaf } from "obsidian";
import { loadBook, type BookInfo } from "../../shared/book/scan";
import { isInFolder, type VaultFiles } from "../../shared/vault/vault-files";
import { bookFolderOf } from "../commands/book-stats";
import { buildCharacterGraph, layoutGraph, linkTarget, renderCharacterGraph, type CharacterInput, type GraphLayout } from "./characters-graph";
import { revealView } from "./report-view";
import { LatestLoad, onVaultChanges } from "./latest-load";

export const CHARACTERS_VIEW_TYPE = "bookwright-characters";

export interface CharactersViewDeps {
  vault: VaultFiles;
}

const REFRESH_DELAY_MS = 500;
/** The layout's own units; the SVG scales to the pane's width. */
const WIDTH = 600;
const HEIGHT = 420;

/** One entry of the `appearances` key. */
export interface Appearance {
  chapter: number;
  role: string;
  state: string;
}

interface Character extends CharacterInput {
  role?: string;
  appearances: Appearance[];
}

interface Loaded {
  folder: string;
  title: string;
  characters: Character[];
  chapterTitles: Map<number, { path: string; title: string }>;
  layout: GraphLayout;
}

/** The characters of a loaded book, their keys read leniently (a malformed entry is skipped, not fatal). */
export function charactersOf(book: BookInfo): Character[] {
  return book.characters.map((c) => {
    const meta = (c.meta ?? {}) as Record<string, unknown>;
    const stem = (c.path.split("/").pop() ?? c.path).replace(/\.md$/i, "");
    const appearances = readAppearances(meta.appearances);
    const relationships = Array.isArray(meta.relationships)
      ? meta.relationships.flatMap((r: unknown) => {
          const { with: other, kind } = (typeof r === "object" && r !== null ? r : {}) as { with?: unknown; kind?: unknown };
          return typeof other === "string" ? [{ with: other, kind: typeof kind === "string" ? kind : "" }] : [];
        })
      : [];
    return {
      path: c.path,
      name: typeof meta.name === "string" && meta.name.trim() ? meta.name.trim() : stem,
      aliases: Array.isArray(meta.aliases) ? meta.aliases.filter((a): a is string => typeof a === "string") : [],
      ...(typeof meta.role === "string" && meta.role.trim() ? { role: meta.role.trim() } : {}),
      chapters: appearances.map((a) => a.chapter),
      appearances,
      relationships,
    };
  });
}

function readAppearances(value: unknown): Appearance[] {
  if (!Array.isArray(value)) return [];
  const out: Appearance[] = [];
  for (const item of value) {
    if (typeof item !== "object" || item === null) continue;
    const { chapter, role, state } = item as Record<string, unknown>;
    if (typeof chapter !== "number") continue;
    out.push({ chapter, role: typeof role === "string" ? role : "", state: typeof state === "string" ? state : "" });
  }
  return out.sort((a, b) => a.chapter - b.chapter);
}

export class CharactersView extends ItemView {
  private loaded: Loaded | null = null;
  private note = "Open a note of a book to see its characters.";
  private selected: string | null = null;
  private readonly loads = new LatestLoad(REFRESH_DELAY_MS);

  constructor(
    leaf: WorkspaceLeaf,
    private readonly deps: CharactersViewDeps,
  ) {
    super(leaf);
  }

  getViewType(): string {
    return CHARACTERS_VIEW_TYPE;
  }

  getDisplayText(): string {
    return "Characters";
  }

  override getIcon(): string {
    return "users";
  }

  protected override async onOpen(): Promise<void> {
    this.loads.open();
    this.contentEl.addClass("bookwright-characters-view");
    this.registerEvent(this.app.workspace.on("file-open", (file) => this.follow(file)));
    const changed = (file: TAbstractFile) => {
      if (this.loaded && isInFolder(file.path, this.loaded.folder)) this.scheduleReload();
    };
    onVaultChanges(this, this.app.vault, changed);
    this.draw();
    this.follow(this.app.workspace.getActiveFile());
    await this.loads.whenIdle();
  }

  protected override onClose(): Promise<void> {
    this.loads.close();
    return Promise.resolve();
  }

  /** Shows the book `file` belongs to; a note of no book (or none) keeps the book shown. */
  follow(file: TFile | null): void {
    const folder = file ? bookFolderOf(this.app, file) : null;
    if (folder === null || folder === this.loaded?.folder) return;
    this.selected = null;
    void this.reload(folder);
  }

  /** Reads the book again (the one shown, or `folder`) and redraws. Resolves when drawn. */
  reload(folder = this.loaded?.folder): Promise<void> {
    return this.loads.start(async (current) => {
      if (folder === undefined) return;
      try {
        const book = await loadBook(this.deps.vault, folder);
        const characters = charactersOf(book);
        const graph = buildCharacterGraph(characters);
        const layout = layoutGraph(graph.nodes, graph.edges, { width: WIDTH, height: HEIGHT, iterations: 300, seed: 7 });
        const chapterTitles = new Map(book.chapters.filter((c) => c.number !== null).map((c) => [c.number!, { path: c.path, title: c.title }]));
        if (!current()) return;
        this.loaded = { folder, title: book.meta.title, characters, chapterTitles, layout };
        if (this.selected !== null && !characters.some((c) => c.path === this.selected)) this.selected = null;
      } catch (error) {
        if (!current()) return;
        this.loaded = null;
        this.note = `Could not read the book: ${error instanceof Error ? error.message : String(error)}`;
      }
      this.draw();
    });
  }

  /** Waits for every load started so far. */
  whenIdle(): Promise<void> {
    return this.loads.whenIdle();
  }

  /** Selects a character (by note path) and shows the chapters they appear in. */
  select(path: string | null): void {
    this.selected = path;
    this.draw();
  }

  private scheduleReload(): void {
    this.loads.schedule(() => void this.reload());
  }

  private draw(): void {
    const el = this.contentEl;
    el.empty();
    const loaded = this.loaded;
    if (!loaded) {
      el.createDiv({ cls: "bookwright-empty", text: this.note });
      return;
    }
    el.createEl("h4", { text: `Characters of ${loaded.title}` });
    if (loaded.characters.length === 0) {
      el.createDiv({ cls: "bookwright-empty", text: "No character notes in this book yet." });
      return;
    }
    const graphEl = el.createDiv({ cls: "bookwright-graph-container" });
    renderCharacterGraph(graphEl, loaded.layout, { openCharacter: (path) => void this.openNote(path), selectCharacter: (path) => this.select(path) }, this.selected);
    const detail = el.createDiv({ cls: "bookwright-character-detail" });
    const character = loaded.characters.find((c) => c.path === this.selected);
    if (!character) {
      detail.createDiv({ cls: "bookwright-muted", text: "Select a character to see the chapters they appear in." });
      return;
    }
    const heading = detail.createEl("h5");
    this.link(heading, character.name, character.path);
    if (character.role) detail.createDiv({ cls: "bookwright-muted", text: character.role });
    if (character.appearances.length === 0) {
      detail.createDiv({ cls: "bookwright-muted", text: "No appearances recorded yet." });
    } else {
      const list = detail.createEl("ul", { cls: "bookwright-appearances" });
      for (const a of character.appearances) {
        const item = list.createEl("li");
        const chapter = loaded.chapterTitles.get(a.chapter);
        const label = `Chapter ${a.chapter}${chapter ? `: ${chapter.title}` : ""}`;
        if (chapter) this.link(item, label, chapter.path);
        else item.appendText(label);
        const about = [a.role, a.state].filter((s) => s.trim() !== "").join("; ");
        if (about) item.createSpan({ cls: "bookwright-muted", text: ` \u2014 ${about}` });
      }
    }
    const related = character.relationships.filter((r) => r.kind.trim() !== "");
    if (related.length > 0) {
      const list = detail.createEl("ul", { cls: "bookwright-relationships" });
      for (const r of related) {
        const item = list.createEl("li");
        const name = linkTarget(r.with);
        const other = loaded.characters.find((c) => [c.name, ...c.aliases, (c.path.split("/").pop() ?? "").replace(/\.md$/i, "")].some((n) => n.toLowerCase() === name.toLowerCase()));
        if (other) this.link(item, other.name, other.path);
        else item.appendText(name);
        item.appendText(` (${r.kind})`);
      }
    }
  }

  private link(parent: HTMLElement, text: string, path: string): void {
    const a = parent.createEl("a", { cls: "internal-link", text, href: "#" });
    a.setAttr("data-path", path);
    a.addEventListener("click", (evt) => {
      evt.preventDefault();
      void this.openNote(path);
    });
  }

  private async openNote(path: string): Promise<void> {
    try {
      await this.app.workspace.openLinkText(path, "", false);
    } catch (error) {
      new Notice(`Could not open ${path}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

/** The characters view and "Open characters". */
export function registerCharactersView(plugin: Plugin, deps: CharactersViewDeps): void {
  plugin.registerView(CHARACTERS_VIEW_TYPE, (leaf) => new CharactersView(leaf, deps));
  plugin.addCommand({
    id: "open-characters",
    name: "Open characters",
    callback: () => {
      const active = plugin.app.workspace.getActiveFile();
      void revealView(plugin.app, CHARACTERS_VIEW_TYPE).then((leaf) => {
        if (leaf?.view instanceof CharactersView) leaf.view.follow(active);
      });
    },
  });
}
