// @vitest-environment happy-dom
import { beforeAll, describe, expect, it } from "vitest";
import { installObsidianDomHelpers } from "../obsidian-dom/dom-helpers";
import { App, ItemView, Modal, Plugin, Setting } from "./obsidian";
import type { WorkspaceLeaf as StubLeaf } from "./ui";

beforeAll(() => {
  installObsidianDomHelpers(window);
});

class CountView extends ItemView {
  getViewType(): string {
    return "count";
  }
  getDisplayText(): string {
    return "Count";
  }
  protected override onOpen(): void {
    const button = this.contentEl.createEl("button", { cls: "bump", text: "0" });
    button.onClickEvent(() => button.setText(String(Number(button.getText()) + 1)));
  }
}

class TestPlugin extends Plugin {}

describe("the stand-in's DOM UI", () => {
  it("gives elements Obsidian's helpers", () => {
    const root = createDiv({ cls: "a b" });
    const span = root.createSpan({ text: "hi", attr: { "data-x": 1 } });
    root.createEl("p", "note", (p) => p.setText("Para text"));
    expect(root.className).toBe("a b");
    expect(span.getAttribute("data-x")).toBe("1");
    root.toggleClass("b", false);
    expect(root.hasClass("b")).toBe(false);
    expect(root.findAll("p.note").map((p) => p.getText())).toEqual(["Para text"]);
    root.empty();
    expect(root.childElementCount).toBe(0);
  });

  it("opens a registered view in a leaf, and its buttons work", async () => {
    const app = new App();
    const plugin = new TestPlugin(app, { id: "t", name: "T", version: "1", minAppVersion: "1", author: "", description: "" });
    // Plugin code passes Obsidian's types; the stand-in's classes are the same at run time.
    plugin.registerView("count", (leaf) => new CountView(leaf as unknown as StubLeaf) as never);
    const leaf = app.workspace.getRightLeaf(false);
    await leaf.setViewState({ type: "count", active: true });
    expect(app.workspace.getLeavesOfType("count")).toHaveLength(1);
    const view = (leaf as unknown as StubLeaf).view as CountView;
    const button = view.contentEl.find("button.bump") as HTMLButtonElement;
    button.click();
    button.click();
    expect(button.getText()).toBe("2");
  });

  it("builds settings whose components report changes", () => {
    const el = createDiv();
    const seen: unknown[] = [];
    new Setting(el).setName("Concurrency").addText((t) => t.setValue("3").onChange((v) => seen.push(v)));
    new Setting(el).setName("Plan ahead").addToggle((t) => t.onChange((v) => seen.push(v)));
    const input = el.find("input") as HTMLInputElement;
    input.value = "4";
    input.dispatchEvent(new Event("input"));
    (el.find(".checkbox-container")).click();
    expect(seen).toEqual(["4", true]);
    expect(el.findAll(".setting-item-name").map((n) => n.getText())).toEqual(["Concurrency", "Plan ahead"]);
  });

  it("puts an open modal in the document and takes it out on close", () => {
    const modal = new Modal(new App());
    modal.open();
    (modal.contentEl as unknown as HTMLElement).createEl("p", { text: "Inside text" });
    expect(document.body.find(".modal-content p")?.getText()).toBe("Inside text");
    modal.close();
    expect(document.body.find(".modal")).toBeNull();
  });

  it("keeps secrets out of plugin data, in the app's secret storage", () => {
    const app = new App();
    app.secretStorage.setSecret("anthropic-key", "sk-test");
    expect(app.secretStorage.getSecret("anthropic-key")).toBe("sk-test");
    expect(() => app.secretStorage.setSecret("Bad Id", "x")).toThrow(/Invalid secret id/);
  });
});
