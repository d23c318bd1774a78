/**
 * The stand-in's UI: views and leaves, settings tabs, `Setting` and its components, secret storage and
 * `setIcon`, over a real DOM. They need a `document`: happy-dom in vitest (put
 * `// @vitest-environment happy-dom` at the top of the test file and call `installObsidianDomHelpers`),
 * or Chromium in the screenshot harness (test/browser/). Files without a DOM never construct them.
 *
 * They follow obsidian.d.ts member for member where plugin code uses them, and record what a test needs
 * to see (the leaves opened, the status bar items, the setting tabs). Unlike the vault classes they do not
 * `implements` Obsidian's types: those classes carry dozens of members no plugin of ours touches, and a
 * DOM-backed stand-in of each would be larger than the views it tests.
 */
import type * as obsidian from "obsidian";
// A cycle (obsidian.ts re-exports this file), harmless: detachEventRef is only called at run time.
import { detachEventRef } from "./obsidian";

function doc(): Document {
  if (typeof document === "undefined") {
    throw new Error("this part of the Obsidian stand-in needs a DOM: add `// @vitest-environment happy-dom` to the test file");
  }
  return document;
}

function div(cls?: string): HTMLElement {
  const el = doc().createElement("div");
  if (cls) el.className = cls;
  return el;
}

// --- Icons ------------------------------------------------------------------------------------------

/** Marks the element with the icon's name (as `data-icon`) and a small square, since there is no icon font. */
export function setIcon(parent: HTMLElement, iconId: string): void {
  parent.replaceChildren();
  parent.setAttribute("data-icon", iconId);
  const svg = doc().createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("class", `svg-icon lucide-${iconId}`);
  svg.setAttribute("width", "16");
  svg.setAttribute("height", "16");
  svg.setAttribute("viewBox", "0 0 16 16");
  const rect = doc().createElementNS("http://www.w3.org/2000/svg", "rect");
  rect.setAttribute("x", "3");
  rect.setAttribute("y", "3");
  rect.setAttribute("width", "10");
  rect.setAttribute("height", "10");
  rect.setAttribute("rx", "2");
  rect.setAttribute("fill", "none");
  rect.setAttribute("stroke", "currentColor");
  svg.appendChild(rect);
  parent.appendChild(svg);
}

// --- Components -------------------------------------------------------------------------------------

export class BaseComponent {
  disabled = false;

  then(cb: (component: this) => unknown): this {
    cb(this);
    return this;
  }

  setDisabled(disabled: boolean): this {
    this.disabled = disabled;
    return this;
  }
}

abstract class ValueComponent<T> extends BaseComponent {
  abstract getValue(): T;
  abstract setValue(value: T): this;

  registerOptionListener(listeners: Record<string, (value?: T) => T>, key: string): this {
    listeners[key] = (value) => {
      if (value !== undefined) this.setValue(value);
      return this.getValue();
    };
    return this;
  }
}

export class TextComponent extends ValueComponent<string> {
  readonly inputEl: HTMLInputElement;
  private changed: ((value: string) => unknown) | undefined;

  constructor(containerEl: HTMLElement) {
    super();
    this.inputEl = doc().createElement("input");
    this.inputEl.type = "text";
    containerEl.appendChild(this.inputEl);
    this.inputEl.addEventListener("input", () => void this.changed?.(this.inputEl.value));
  }

  override setDisabled(disabled: boolean): this {
    this.inputEl.disabled = disabled;
    return super.setDisabled(disabled);
  }
  getValue(): string {
    return this.inputEl.value;
  }
  setValue(value: string): this {
    this.inputEl.value = value;
    return this;
  }
  setPlaceholder(placeholder: string): this {
    this.inputEl.placeholder = placeholder;
    return this;
  }
  onChanged(): void {
    void this.changed?.(this.inputEl.value);
  }
  onChange(callback: (value: string) => unknown): this {
    this.changed = callback;
    return this;
  }
}

export class TextAreaComponent extends ValueComponent<string> {
  readonly inputEl: HTMLTextAreaElement;
  private changed: ((value: string) => unknown) | undefined;

  constructor(containerEl: HTMLElement) {
    super();
    this.inputEl = doc().createElement("textarea");
    containerEl.appendChild(this.inputEl);
    this.inputEl.addEventListener("input", () => void this.changed?.(this.inputEl.value));
  }

  getValue(): string {
    return this.inputEl.value;
  }
  setValue(value: string): this {
    this.inputEl.value = value;
    return this;
  }
  setPlaceholder(placeholder: string): this {
    this.inputEl.placeholder = placeholder;
    return this;
  }
  onChange(callback: (value: string) => unknown): this {
    this.changed = callback;
    return this;
  }
}

export class DropdownComponent extends ValueComponent<string> {
  readonly selectEl: HTMLSelectElement;
  private changed: ((value: string) => unknown) | undefined;

  constructor(containerEl: HTMLElement) {
    super();
    this.selectEl = doc().createElement("select");
    this.selectEl.className = "dropdown";
    containerEl.appendChild(this.selectEl);
    this.selectEl.addEventListener("change", () => void this.changed?.(this.selectEl.value));
  }

  override setDisabled(disabled: boolean): this {
    this.selectEl.disabled = disabled;
    return super.setDisabled(disabled);
  }
  addOption(value: string, display: string): this {
    const option = doc().createElement("option");
    option.value = value;
    option.textContent = display;
    this.selectEl.appendChild(option);
    return this;
  }
  addOptions(options: Record<string, string>): this {
    for (const [value, display] of Object.entries(options)) this.addOption(value, display);
    return this;
  }
  getValue(): string {
    return this.selectEl.value;
  }
  setValue(value: string): this {
    this.selectEl.value = value;
    return this;
  }
  onChange(callback: (value: string) => unknown): this {
    this.changed = callback;
    return this;
  }
}

export class ToggleComponent extends ValueComponent<boolean> {
  readonly toggleEl: HTMLElement;
  private value = false;
  private changed: ((value: boolean) => unknown) | undefined;

  constructor(containerEl: HTMLElement) {
    super();
    this.toggleEl = div("checkbox-container");
    this.toggleEl.setAttribute("role", "switch");
    containerEl.appendChild(this.toggleEl);
    this.toggleEl.addEventListener("click", () => {
      if (this.disabled) return;
      this.setValue(!this.value);
      void this.changed?.(this.value);
    });
  }

  getValue(): boolean {
    return this.value;
  }
  setValue(on: boolean): this {
    this.value = on;
    this.toggleEl.classList.toggle("is-enabled", on);
    this.toggleEl.setAttribute("aria-checked", String(on));
    return this;
  }
  setTooltip(tooltip: string): this {
    this.toggleEl.setAttribute("aria-label", tooltip);
    return this;
  }
  onClick(): void {
    this.toggleEl.click();
  }
  onChange(callback: (value: boolean) => unknown): this {
    this.changed = callback;
    return this;
  }
}

export class SliderComponent extends ValueComponent<number> {
  readonly sliderEl: HTMLInputElement;
  private changed: ((value: number) => unknown) | undefined;

  constructor(containerEl: HTMLElement) {
    super();
    this.sliderEl = doc().createElement("input");
    this.sliderEl.type = "range";
    this.sliderEl.className = "slider";
    containerEl.appendChild(this.sliderEl);
    this.sliderEl.addEventListener("input", () => void this.changed?.(Number(this.sliderEl.value)));
  }

  setLimits(min: number | null, max: number | null, step: number | "any"): this {
    if (min !== null) this.sliderEl.min = String(min);
    if (max !== null) this.sliderEl.max = String(max);
    this.sliderEl.step = String(step);
    return this;
  }
  setDynamicTooltip(): this {
    return this;
  }
  setInstant(): this {
    return this;
  }
  getValue(): number {
    return Number(this.sliderEl.value);
  }
  setValue(value: number): this {
    this.sliderEl.value = String(value);
    return this;
  }
  onChange(callback: (value: number) => unknown): this {
    this.changed = callback;
    return this;
  }
}

export class ButtonComponent extends BaseComponent {
  readonly buttonEl: HTMLButtonElement;
  private clicked: ((evt: MouseEvent) => unknown) | undefined;

  constructor(containerEl: HTMLElement) {
    super();
    this.buttonEl = doc().createElement("button");
    containerEl.appendChild(this.buttonEl);
    this.buttonEl.addEventListener("click", (evt) => {
      if (!this.disabled) void this.clicked?.(evt);
    });
  }

  override setDisabled(disabled: boolean): this {
    this.buttonEl.disabled = disabled;
    return super.setDisabled(disabled);
  }
  setCta(): this {
    this.buttonEl.classList.add("mod-cta");
    return this;
  }
  removeCta(): this {
    this.buttonEl.classList.remove("mod-cta");
    return this;
  }
  setWarning(): this {
    this.buttonEl.classList.add("mod-warning");
    return this;
  }
  setTooltip(tooltip: string): this {
    this.buttonEl.setAttribute("aria-label", tooltip);
    return this;
  }
  setButtonText(name: string): this {
    this.buttonEl.textContent = name;
    return this;
  }
  setIcon(icon: string): this {
    setIcon(this.buttonEl, icon);
    return this;
  }
  setClass(cls: string): this {
    this.buttonEl.classList.add(cls);
    return this;
  }
  onClick(callback: (evt: MouseEvent) => unknown): this {
    this.clicked = callback;
    return this;
  }
}

export class ExtraButtonComponent extends BaseComponent {
  readonly extraSettingsEl: HTMLElement;
  private clicked: (() => unknown) | undefined;

  constructor(containerEl: HTMLElement) {
    super();
    this.extraSettingsEl = div("clickable-icon extra-setting-button");
    containerEl.appendChild(this.extraSettingsEl);
    this.extraSettingsEl.addEventListener("click", () => {
      if (!this.disabled) void this.clicked?.();
    });
  }

  setTooltip(tooltip: string): this {
    this.extraSettingsEl.setAttribute("aria-label", tooltip);
    return this;
  }
  setIcon(icon: string): this {
    setIcon(this.extraSettingsEl, icon);
    return this;
  }
  onClick(callback: () => unknown): this {
    this.clicked = callback;
    return this;
  }
}

/**
 * Obsidian's secret picker: its value is the id of a secret in `app.secretStorage`, never the secret.
 * Here it is a select of the stored ids; `createSecret` (stand-in only) does what the writer does in
 * Obsidian's "new secret" dialog: stores a value under a new id and picks it.
 */
export class SecretComponent extends BaseComponent {
  readonly selectEl: HTMLSelectElement;
  private changed: ((value: string) => unknown) | undefined;

  constructor(
    private readonly app: obsidian.App,
    containerEl: HTMLElement,
  ) {
    super();
    this.selectEl = doc().createElement("select");
    this.selectEl.className = "dropdown bookwright-stand-in-secret";
    containerEl.appendChild(this.selectEl);
    this.refresh();
    this.selectEl.addEventListener("change", () => void this.changed?.(this.selectEl.value));
  }

  private refresh(): void {
    const current = this.selectEl.value;
    this.selectEl.replaceChildren();
    const none = doc().createElement("option");
    none.value = "";
    none.textContent = "Select a secret…";
    this.selectEl.appendChild(none);
    for (const id of this.app.secretStorage.listSecrets()) {
      const option = doc().createElement("option");
      option.value = id;
      option.textContent = id;
      this.selectEl.appendChild(option);
    }
    this.selectEl.value = current;
  }

  setValue(value: string): this {
    this.refresh();
    this.selectEl.value = value;
    return this;
  }

  onChange(cb: (value: string) => unknown): this {
    this.changed = cb;
    return this;
  }

  /** Stand-in only: the writer creates a secret in Obsidian's dialog and it becomes the chosen one. */
  createSecret(id: string, value: string): void {
    this.app.secretStorage.setSecret(id, value);
    this.setValue(id);
    void this.changed?.(id);
  }
}

// --- Setting ----------------------------------------------------------------------------------------

export class Setting {
  readonly settingEl: HTMLElement;
  readonly infoEl: HTMLElement;
  readonly nameEl: HTMLElement;
  readonly descEl: HTMLElement;
  readonly controlEl: HTMLElement;
  readonly components: BaseComponent[] = [];

  constructor(containerEl: HTMLElement) {
    this.settingEl = div("setting-item");
    this.infoEl = div("setting-item-info");
    this.nameEl = div("setting-item-name");
    this.descEl = div("setting-item-description");
    this.controlEl = div("setting-item-control");
    this.infoEl.append(this.nameEl, this.descEl);
    this.settingEl.append(this.infoEl, this.controlEl);
    containerEl.appendChild(this.settingEl);
  }

  setName(name: string | DocumentFragment): this {
    this.nameEl.replaceChildren(name);
    return this;
  }
  setDesc(desc: string | DocumentFragment): this {
    this.descEl.replaceChildren(desc);
    return this;
  }
  setClass(cls: string): this {
    this.settingEl.classList.add(cls);
    return this;
  }
  setTooltip(tooltip: string): this {
    this.settingEl.setAttribute("aria-label", tooltip);
    return this;
  }
  setHeading(): this {
    this.settingEl.classList.add("setting-item-heading");
    return this;
  }
  setDisabled(disabled: boolean): this {
    this.settingEl.classList.toggle("is-disabled", disabled);
    for (const c of this.components) c.setDisabled(disabled);
    return this;
  }
  private add<C extends BaseComponent>(component: C, cb: (component: C) => unknown): this {
    this.components.push(component);
    cb(component);
    return this;
  }
  addButton(cb: (component: ButtonComponent) => unknown): this {
    return this.add(new ButtonComponent(this.controlEl), cb);
  }
  addExtraButton(cb: (component: ExtraButtonComponent) => unknown): this {
    return this.add(new ExtraButtonComponent(this.controlEl), cb);
  }
  addToggle(cb: (component: ToggleComponent) => unknown): this {
    return this.add(new ToggleComponent(this.controlEl), cb);
  }
  addText(cb: (component: TextComponent) => unknown): this {
    return this.add(new TextComponent(this.controlEl), cb);
  }
  addTextArea(cb: (component: TextAreaComponent) => unknown): this {
    return this.add(new TextAreaComponent(this.controlEl), cb);
  }
  addDropdown(cb: (component: DropdownComponent) => unknown): this {
    return this.add(new DropdownComponent(this.controlEl), cb);
  }
  addSlider(cb: (component: SliderComponent) => unknown): this {
    return this.add(new SliderComponent(this.controlEl), cb);
  }
  addComponent<C extends BaseComponent>(cb: (el: HTMLElement) => C): this {
    this.components.push(cb(this.controlEl));
    return this;
  }
  then(cb: (setting: this) => unknown): this {
    cb(this);
    return this;
  }
  clear(): this {
    this.controlEl.replaceChildren();
    this.components.length = 0;
    return this;
  }
}

export class PluginSettingTab {
  readonly containerEl: HTMLElement;
  icon = "settings";

  constructor(
    readonly app: obsidian.App,
    readonly plugin: obsidian.Plugin,
  ) {
    this.containerEl = div("vertical-tab-content");
  }

  display(): void {
    // Subclasses fill containerEl.
  }

  hide(): void {
    this.containerEl.replaceChildren();
  }
}

// --- Views and leaves -------------------------------------------------------------------------------

export type ViewCreator = (leaf: WorkspaceLeaf) => View;

/** A pane. `setViewState({ type })` builds the view registered for the type and opens it. */
export class WorkspaceLeaf {
  view: View | null = null;
  readonly containerEl: HTMLElement;
  /** Where the leaf lives (stand-in only): the right sidebar, the left one, or the main area. */
  readonly side: "left" | "right" | "main";

  constructor(
    readonly app: obsidian.App,
    private readonly creators: Map<string, ViewCreator>,
    private readonly onDetach: (leaf: WorkspaceLeaf) => void,
    side: "left" | "right" | "main" = "main",
  ) {
    this.side = side;
    this.containerEl = div("workspace-leaf");
  }

  async setViewState(state: { type: string; active?: boolean; state?: Record<string, unknown> }): Promise<void> {
    await this.view?.close();
    const creator = this.creators.get(state.type);
    if (!creator) throw new Error(`no view of type "${state.type}" is registered (registerView)`);
    const view = creator(this);
    this.view = view;
    this.containerEl.replaceChildren(view.containerEl);
    await view.open(state.state ?? {});
  }

  getViewState(): { type: string } {
    return { type: this.view?.getViewType() ?? "empty" };
  }

  async openFile(file: obsidian.TFile): Promise<void> {
    this.openedFile = file;
    return Promise.resolve();
  }

  /** The file `openFile` was last given (stand-in only). */
  openedFile: obsidian.TFile | null = null;

  detach(): void {
    void this.view?.close();
    this.view = null;
    this.onDetach(this);
  }

  getDisplayText(): string {
    return this.view?.getDisplayText() ?? "";
  }
}

export abstract class View {
  readonly app: obsidian.App;
  readonly containerEl: HTMLElement;
  icon = "";
  navigation = false;
  private readonly cleanups: (() => void)[] = [];

  constructor(readonly leaf: WorkspaceLeaf) {
    this.app = leaf.app;
    this.containerEl = div("view-content-container");
  }

  abstract getViewType(): string;
  abstract getDisplayText(): string;

  getIcon(): string {
    return this.icon;
  }

  getState(): Record<string, unknown> {
    return {};
  }

  setState(_state: unknown, _result: unknown): Promise<void> {
    return Promise.resolve();
  }

  async open(_state: Record<string, unknown>): Promise<void> {
    await this.onOpen();
  }

  async close(): Promise<void> {
    await this.onClose();
    for (const cleanup of this.cleanups.splice(0)) cleanup();
  }

  protected onOpen(): Promise<void> | void {
    // Subclasses render here.
  }

  protected onClose(): Promise<void> | void {
    // Subclasses clean up here.
  }

  register(cb: () => void): void {
    this.cleanups.push(cb);
  }

  registerEvent(ref: obsidian.EventRef): void {
    this.cleanups.push(() => detachEventRef(ref));
  }

  registerDomEvent(el: HTMLElement | Window | Document, type: string, callback: (evt: Event) => unknown): void {
    el.addEventListener(type, callback);
    this.cleanups.push(() => el.removeEventListener(type, callback));
  }

  registerInterval(id: number): number {
    this.cleanups.push(() => window.clearInterval(id));
    return id;
  }
}

export abstract class ItemView extends View {
  readonly contentEl: HTMLElement;
  private readonly actionsEl: HTMLElement;

  constructor(leaf: WorkspaceLeaf) {
    super(leaf);
    this.actionsEl = div("view-actions");
    this.contentEl = div("view-content");
    this.containerEl.append(this.actionsEl, this.contentEl);
  }

  addAction(icon: string, title: string, callback: (evt: MouseEvent) => unknown): HTMLElement {
    const el = div("clickable-icon view-action");
    el.setAttribute("aria-label", title);
    setIcon(el, icon);
    el.addEventListener("click", (evt) => void callback(evt));
    this.actionsEl.appendChild(el);
    return el;
  }
}

/** The workspace's leaves and registered view types, shared by the stand-in's Workspace and Plugin. */
export class Leaves {
  readonly creators = new Map<string, ViewCreator>();
  readonly all: WorkspaceLeaf[] = [];

  constructor(private readonly app: obsidian.App) {}

  make(side: "left" | "right" | "main"): WorkspaceLeaf {
    const leaf = new WorkspaceLeaf(this.app, this.creators, (l) => this.all.splice(this.all.indexOf(l), 1), side);
    this.all.push(leaf);
    return leaf;
  }

  ofType(type: string): WorkspaceLeaf[] {
    return this.all.filter((l) => l.view?.getViewType() === type);
  }
}
