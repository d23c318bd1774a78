// @vitest-environment happy-dom
import { beforeAll, describe, expect, it } from "vitest";
import manifest from "../../manifest.json";
import { installObsidianDomHelpers } from "../../test/obsidian-dom/dom-helpers";
import { createStubApp, Plugin } from "../../test/obsidian-stub/obsidian";
import type { WorkspaceLeaf as StubLeaf } from "../../test/obsidian-stub/ui";
import { ObsidianVault } from "../vault/obsidian-vault";
import { buildCharacterGraph, layoutGraph, linkTarget, renderCharacterGraph, type CharacterInput } from "./characters-graph";
import { CHARACTERS_VIEW_TYPE, CharactersView, registerCharactersView } from "./characters-view";

beforeAll(() => {
  installObsidianDomHelpers(window);
});

const characters: CharacterInput[] = [
  { path: "B/Characters/Mara.md", name: "Mara Quill", aliases: ["Mara"], chapters: [1, 2, 3, 4], relationships: [{ with: "[[Jon]]", kind: "friend" }] },
  { path: "B/Characters/Jon.md", name: "Jon Harrow", aliases: [], chapters: [2, 3], relationships: [{ with: "[[Mara Quill|Mara]]", kind: "friend" }, { with: "[[Nobody]]", kind: "enemy" }] },
  { path: "B/Characters/Ada.md", name: "Ada", aliases: [], chapters: [4], relationships: [] },
  { path: "B/Characters/Keeper.md", name: "The old keeper", aliases: [], chapters: [], relationships: [{ with: "Ada", kind: "mother" }] },
];

describe("buildCharacterGraph", () => {
  it("makes an edge per related or co-appearing pair, weighted by both", () => {
    const graph = buildCharacterGraph(characters);
    expect(graph.nodes.map((n) => [n.label, n.appearances])).toEqual([["Mara Quill", 4], ["Jon Harrow", 2], ["Ada", 1], ["The old keeper", 0]]);
    const edge = (a: string, b: string) => graph.edges.find((e) => [e.source, e.target].sort().join() === [`B/Characters/${a}.md`, `B/Characters/${b}.md`].sort().join());
    expect(edge("Mara", "Jon")).toMatchObject({ kinds: ["friend"], shared: 2, weight: 5 });
    expect(edge("Mara", "Ada")).toMatchObject({ kinds: [], shared: 1, weight: 1 });
    expect(edge("Keeper", "Ada")).toMatchObject({ kinds: ["mother"], shared: 0, weight: 3 });
    expect(graph.edges).toHaveLength(3);
  });

  it("reads links in every form Obsidian writes them", () => {
    expect(["[[Jon]]", "[[Characters/Jon.md|J]]", "[[Jon#Voice]]", " Jon "].map(linkTarget)).toEqual(["Jon", "Jon", "Jon", "Jon"]);
  });
});

describe("layoutGraph", () => {
  const graph = buildCharacterGraph(characters);
  const options = { width: 400, height: 300, iterations: 200, seed: 3 };

  it("is deterministic: the same input and seed give the same positions, whatever the input order", () => {
    const a = layoutGraph(graph.nodes, graph.edges, options);
    const b = layoutGraph([...graph.nodes].reverse(), [...graph.edges].reverse(), options);
    expect(b.nodes).toEqual(a.nodes);
    expect(layoutGraph(graph.nodes, graph.edges, { ...options, seed: 4 }).nodes).not.toEqual(a.nodes);
  });

  it("keeps every circle inside the bounds, and draws bigger circles for more appearances", () => {
    const layout = layoutGraph(graph.nodes, graph.edges, options);
    for (const n of layout.nodes) {
      expect(n.x - n.radius).toBeGreaterThanOrEqual(0);
      expect(n.y - n.radius).toBeGreaterThanOrEqual(0);
      expect(n.x + n.radius).toBeLessThanOrEqual(options.width);
      expect(n.y + n.radius).toBeLessThanOrEqual(options.height);
    }
    const radius = (label: string) => layout.nodes.find((n) => n.label === label)!.radius;
    expect(radius("Mara Quill")).toBeGreaterThan(radius("Jon Harrow"));
    expect(radius("Jon Harrow")).toBeGreaterThan(radius("Ada"));
    expect(radius("Ada")).toBeGreaterThan(radius("The old keeper"));
  });

  it("pulls related characters closer than unrelated ones, and copes with one node or none", () => {
    const layout = layoutGraph(graph.nodes, graph.edges, options);
    const at = (label: string) => layout.nodes.find((n) => n.label === label)!;
    const distance = (a: string, b: string) => Math.hypot(at(a).x - at(b).x, at(a).y - at(b).y);
    expect(distance("Mara Quill", "Jon Harrow")).toBeLessThan(distance("Jon Harrow", "The old keeper"));
    expect(layoutGraph([graph.nodes[0]!], [], options).nodes[0]).toMatchObject({ x: 200, y: 150 });
    expect(layoutGraph([], [], options).nodes).toEqual([]);
  });
});

describe("renderCharacterGraph", () => {
  it("draws a circle and a label per character and a line per edge, and reports clicks", () => {
    const graph = buildCharacterGraph(characters);
    const layout = layoutGraph(graph.nodes, graph.edges, { width: 400, height: 300, iterations: 50, seed: 1 });
    const el = createDiv();
    const opened: string[] = [];
    const selected: string[] = [];
    const svg = renderCharacterGraph(el, layout, { openCharacter: (p) => opened.push(p), selectCharacter: (p) => selected.push(p) });
    expect(svg.tagName.toLowerCase()).toBe("svg");
    expect(svg.namespaceURI).toBe("http://www.w3.org/2000/svg");
    expect(el.findAll("circle")).toHaveLength(4);
    expect(el.findAll("text").map((t) => t.textContent)).toEqual(layout.nodes.map((n) => n.label));
    expect(el.findAll("line")).toHaveLength(3);
    expect(el.findAll("line.bookwright-graph-relationship")).toHaveLength(2);
    const mara = el.find('[data-path="B/Characters/Mara.md"]');
    mara.dispatchEvent(new MouseEvent("click"));
    mara.dispatchEvent(new MouseEvent("dblclick"));
    expect(selected).toEqual(["B/Characters/Mara.md"]);
    expect(opened).toEqual(["B/Characters/Mara.md"]);
  });
});

describe("the characters view", () => {
  class HostPlugin extends Plugin {}

  it("draws the book's characters from their notes and lists a selected character's chapters as links", async () => {
    const app = createStubApp();
    const vault = new ObsidianVault(app);
    const notes: Record<string, string> = {
      "B/Book.md": "---\nbookwright: book\ntitle: Skerry Light\n---\n",
      "B/Chapters/01 Storm.md": "---\nbookwright: chapter\nchapter: 1\ntitle: Storm\n---\nText.\n",
      "B/Chapters/02 Boat.md": "---\nbookwright: chapter\nchapter: 2\ntitle: Boat\n---\nText.\n",
      "B/Characters/Mara.md":
        "---\nbookwright: character\nname: Mara Quill\nrelationships:\n  - with: \"[[Jon]]\"\n    kind: friend\nappearances:\n  - chapter: 1\n    role: keeper\n    state: alone\n  - chapter: 2\n    role: host\n    state: wary\n---\n",
      "B/Characters/Jon.md": "---\nbookwright: character\nname: Jon Harrow\nappearances:\n  - chapter: 2\n    role: boatman\n    state: tired\n---\n",
    };
    for (const [path, text] of Object.entries(notes)) await vault.write(path, text);
    const plugin = new HostPlugin(app, manifest);
    registerCharactersView(plugin, { vault });
    expect(plugin.commands.map((c) => c.name)).toEqual(["Bookwright: Open characters"]);
    app.workspace.setActiveFile(app.vault.getFileByPath("B/Chapters/01 Storm.md"));
    const leaf = app.workspace.getRightLeaf(false) as unknown as StubLeaf;
    await leaf.setViewState({ type: CHARACTERS_VIEW_TYPE });
    const view = leaf.view as unknown as CharactersView;
    await view.whenIdle();
    expect(view.contentEl.findAll("circle")).toHaveLength(2);
    expect(view.contentEl.findAll("line")).toHaveLength(1);

    view.contentEl.find('[data-path="B/Characters/Mara.md"]').dispatchEvent(new MouseEvent("click"));
    const items = view.contentEl.findAll(".bookwright-appearances li");
    expect(items.map((li) => li.getText())).toEqual(["Chapter 1: Storm \u2014 keeper; alone", "Chapter 2: Boat \u2014 host; wary"]);
    (items[1]!.find("a")).click();
    expect(app.workspace.openedLinks.at(-1)).toEqual({ linktext: "B/Chapters/02 Boat.md", sourcePath: "" });
    expect(view.contentEl.find(".bookwright-relationships")?.getText()).toBe("Jon Harrow (friend)");
  });
});
