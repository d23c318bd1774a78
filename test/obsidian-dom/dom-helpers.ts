/**
 * The DOM helpers Obsidian adds to every element and to the window (`createEl`, `createDiv`, `empty`,
 * `setText`, `addClass`, `toggleClass`, `setAttr`…), installed onto any window: happy-dom's in vitest
 * (`// @vitest-environment happy-dom`) and Chromium's in the screenshot harness (test/browser/). Plugin
 * views are written against these helpers, as Obsidian plugins are, so they render the same in both.
 *
 * Only what Obsidian documents in obsidian.d.ts, with its semantics: `createEl` takes a tag, a class
 * string or a DomElementInfo, and a callback; `setText` replaces the content; `toggleClass` takes the
 * wanted state. Nothing here imports `obsidian`.
 */

interface ElementInfo {
  cls?: string | string[];
  text?: string | DocumentFragment;
  attr?: Record<string, string | number | boolean | null>;
  title?: string;
  parent?: Node;
  value?: string;
  type?: string;
  prepend?: boolean;
  placeholder?: string;
  href?: string;
}

type Info = ElementInfo | string | undefined;

function classesOf(cls: string | string[] | undefined): string[] {
  if (cls === undefined) return [];
  return (Array.isArray(cls) ? cls : cls.split(" ")).filter((c) => c !== "");
}

function applyInfo(el: Element, info: Info): void {
  const o: ElementInfo = typeof info === "string" ? { cls: info } : (info ?? {});
  const classes = classesOf(o.cls);
  if (classes.length) el.classList.add(...classes);
  if (o.text !== undefined) {
    if (typeof o.text === "string") el.textContent = o.text;
    else el.appendChild(o.text);
  }
  if (o.attr) for (const [k, v] of Object.entries(o.attr)) setAttr(el, k, v);
  if (o.title !== undefined) el.setAttribute("title", o.title);
  if (o.value !== undefined && "value" in el) (el as HTMLInputElement).value = o.value;
  if (o.type !== undefined) el.setAttribute("type", o.type);
  if (o.placeholder !== undefined) el.setAttribute("placeholder", o.placeholder);
  if (o.href !== undefined) el.setAttribute("href", o.href);
}

function setAttr(el: Element, name: string, value: string | number | boolean | null): void {
  if (value === null || value === false) el.removeAttribute(name);
  else el.setAttribute(name, value === true ? "" : String(value));
}

function make(doc: Document, parent: Node | null, tag: string, info: Info, callback?: (el: HTMLElement) => void, svg = false): HTMLElement {
  const el = (svg ? doc.createElementNS("http://www.w3.org/2000/svg", tag) : doc.createElement(tag)) as HTMLElement;
  applyInfo(el, info);
  const o = typeof info === "object" ? info : undefined;
  const target = o?.parent ?? parent;
  if (target) {
    if (o?.prepend) target.insertBefore(el, target.firstChild);
    else target.appendChild(el);
  }
  callback?.(el);
  return el;
}

/** Installs the helpers on `win` (once); returns `win` for chaining. */
export function installObsidianDomHelpers<W extends Window & typeof globalThis>(win: W): W {
  const marker = "__bookwrightDomHelpers";
  const w = win as unknown as Record<string, unknown>;
  if (w[marker]) return win;
  w[marker] = true;
  const doc = win.document;
  const nodeProto = win.Node.prototype as unknown as Record<string, unknown>;
  const elementProto = win.Element.prototype as unknown as Record<string, unknown>;
  const htmlProto = win.HTMLElement.prototype as unknown as Record<string, unknown>;

  nodeProto.createEl = function (this: Node, tag: string, info?: Info, callback?: (el: HTMLElement) => void) {
    return make(doc, this, tag, info, callback);
  };
  nodeProto.createDiv = function (this: Node, info?: Info, callback?: (el: HTMLElement) => void) {
    return make(doc, this, "div", info, callback);
  };
  nodeProto.createSpan = function (this: Node, info?: Info, callback?: (el: HTMLElement) => void) {
    return make(doc, this, "span", info, callback);
  };
  nodeProto.createSvg = function (this: Node, tag: string, info?: Info, callback?: (el: SVGElement) => void) {
    return make(doc, this, tag, info, callback as unknown as (el: HTMLElement) => void, true);
  };
  nodeProto.empty = function (this: Node) {
    while (this.firstChild) this.removeChild(this.firstChild);
  };
  nodeProto.detach = function (this: Node) {
    this.parentNode?.removeChild(this);
  };
  nodeProto.appendText = function (this: Node, text: string) {
    this.appendChild(doc.createTextNode(text));
  };
  nodeProto.instanceOf = function (this: Node, type: new () => unknown) {
    return this instanceof type;
  };
  nodeProto.setChildrenInPlace = function (this: Node, children: Node[]) {
    (this as unknown as { empty(): void }).empty();
    for (const child of children) this.appendChild(child);
  };

  elementProto.setText = function (this: Element, text: string | DocumentFragment) {
    if (typeof text === "string") this.textContent = text;
    else {
      this.textContent = "";
      this.appendChild(text);
    }
  };
  elementProto.getText = function (this: Element) {
    return this.textContent ?? "";
  };
  elementProto.addClass = function (this: Element, ...classes: string[]) {
    this.classList.add(...classes.flatMap((c) => classesOf(c)));
  };
  elementProto.addClasses = function (this: Element, classes: string[]) {
    this.classList.add(...classes);
  };
  elementProto.removeClass = function (this: Element, ...classes: string[]) {
    this.classList.remove(...classes.flatMap((c) => classesOf(c)));
  };
  elementProto.removeClasses = function (this: Element, classes: string[]) {
    this.classList.remove(...classes);
  };
  elementProto.toggleClass = function (this: Element, classes: string | string[], value: boolean) {
    for (const c of Array.isArray(classes) ? classes : [classes]) this.classList.toggle(c, value);
  };
  elementProto.hasClass = function (this: Element, cls: string) {
    return this.classList.contains(cls);
  };
  elementProto.setAttr = function (this: Element, name: string, value: string | number | boolean | null) {
    setAttr(this, name, value);
  };
  elementProto.setAttrs = function (this: Element, attrs: Record<string, string | number | boolean | null>) {
    for (const [k, v] of Object.entries(attrs)) setAttr(this, k, v);
  };
  elementProto.getAttr = function (this: Element, name: string) {
    return this.getAttribute(name);
  };
  elementProto.find = function (this: Element, selector: string) {
    return this.querySelector(selector);
  };
  elementProto.findAll = function (this: Element, selector: string) {
    return Array.from(this.querySelectorAll(selector));
  };
  elementProto.matchParent = function (this: Element, selector: string, lastParent?: Element) {
    for (let el: Element | null = this; el && el !== lastParent; el = el.parentElement) if (el.matches(selector)) return el;
    return null;
  };
  htmlProto.show = function (this: HTMLElement) {
    this.style.display = "";
  };
  htmlProto.hide = function (this: HTMLElement) {
    this.style.display = "none";
  };
  htmlProto.toggle = function (this: HTMLElement, show: boolean) {
    this.style.display = show ? "" : "none";
  };
  htmlProto.toggleVisibility = function (this: HTMLElement, visible: boolean) {
    this.style.visibility = visible ? "" : "hidden";
  };
  htmlProto.isShown = function (this: HTMLElement) {
    return this.style.display !== "none";
  };
  htmlProto.setCssStyles = function (this: HTMLElement, styles: Partial<CSSStyleDeclaration>) {
    Object.assign(this.style, styles);
  };
  htmlProto.setCssProps = function (this: HTMLElement, props: Record<string, string>) {
    for (const [k, v] of Object.entries(props)) this.style.setProperty(k, v);
  };
  htmlProto.onClickEvent = function (this: HTMLElement, listener: (ev: MouseEvent) => unknown, options?: AddEventListenerOptions) {
    this.addEventListener("click", listener, options);
  };

  w.createEl = (tag: string, info?: Info, callback?: (el: HTMLElement) => void) => make(doc, null, tag, info, callback);
  w.createDiv = (info?: Info, callback?: (el: HTMLElement) => void) => make(doc, null, "div", info, callback);
  w.createSpan = (info?: Info, callback?: (el: HTMLElement) => void) => make(doc, null, "span", info, callback);
  w.createSvg = (tag: string, info?: Info, callback?: (el: SVGElement) => void) => make(doc, null, tag, info, callback as unknown as (el: HTMLElement) => void, true);
  w.createFragment = (callback?: (el: DocumentFragment) => void) => {
    const fragment = doc.createDocumentFragment();
    callback?.(fragment);
    return fragment;
  };
  w.activeWindow = win;
  w.activeDocument = doc;
  return win;
}
