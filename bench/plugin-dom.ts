/**
 * The DOM for `npm run bench -- plugin`: a happy-dom window with Obsidian's element helpers
 * (test/obsidian-dom/dom-helpers.ts), as the stand-in's view tests use. bench/plugin.ts hands this file to
 * esbuild's `inject`, so in the bundle under test every free `document`, `window`, `createDiv`… means
 * these exports, and the bench process's own globals stay untouched. An onload that adds a status bar
 * item or a view then runs against a real DOM, as in Obsidian.
 */
import { Window as HappyWindow } from "happy-dom";
import { installObsidianDomHelpers } from "../test/obsidian-dom/dom-helpers";

const happy = new HappyWindow({ url: "app://obsidian.md/" });
const win = installObsidianDomHelpers(happy as unknown as Parameters<typeof installObsidianDomHelpers>[0]);
const doc = win.document;

export { win as window, win as activeWindow, win as self, doc as document, doc as activeDocument };
export const { Node, Element, HTMLElement, SVGElement, DocumentFragment, Event, MouseEvent, KeyboardEvent } = win;
export const getComputedStyle = win.getComputedStyle.bind(win);
export const requestAnimationFrame = win.requestAnimationFrame.bind(win);
export const cancelAnimationFrame = win.cancelAnimationFrame.bind(win);
export const { createEl, createDiv, createSpan, createSvg, createFragment } = win;

/** Stops the window's timers and pending work, so the bench process can exit. */
export async function closeDom(): Promise<void> {
  await happy.happyDOM.abort();
  happy.close();
}
