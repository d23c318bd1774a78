/**
 * The character graph: who appears with whom, and who is related to whom. The data comes from the keys
 * Bookwright keeps on character notes (`appearances`, `relationships`); the layout is a small
 * force-directed one (Fruchterman–Reingold) that is deterministic — seeded start, fixed iterations — so
 * the same book draws the same picture every time it is opened, and tests can pin it down. Drawing is an
 * SVG built with Obsidian's `createSvg`, styled by classes.
 */
import { seededRandom } from "../../shared/util/seeded-random";

/** A character as the graph needs it. */
export interface CharacterInput {
  path: string;
  name: string;
  aliases: string[];
  /** Chapter numbers the character appears in (the `appearances` key). */
  chapters: number[];
  /** The `relationships` key: `with` is a link such as `"[[Jon]]"`. */
  relationships: { with: string; kind: string }[];
}

export interface GraphNode {
  /** The character note's path: unique, and what a click opens. */
  id: string;
  label: string;
  appearances: number;
}

export interface GraphEdge {
  source: string;
  target: string;
  /** Relationship kinds named on either note ("brother", "rival"); empty when they only share chapters. */
  kinds: string[];
  /** Chapters both appear in. */
  shared: number;
  /** How strongly the layout pulls them together: a named relationship counts as much as three shared chapters. */
  weight: number;
}

export interface CharacterGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export interface LayoutOptions {
  width: number;
  height: number;
  /** Fixed, so the result does not depend on time. @default 300 */
  iterations?: number;
  /** Seeds the starting positions. @default 1 */
  seed?: number;
}

export interface PlacedNode extends GraphNode {
  x: number;
  y: number;
  radius: number;
}

export interface GraphLayout {
  width: number;
  height: number;
  nodes: PlacedNode[];
  edges: GraphEdge[];
}

const RELATIONSHIP_WEIGHT = 3;
const MIN_RADIUS = 6;
const MAX_RADIUS = 18;
/** Room kept free at the edges for labels under the circles. */
const PADDING = 16;

/**
 * The graph of a book's characters: a node per character, an edge per pair that is related (on either
 * note) or shares a chapter. Relationship links are resolved against the notes' file names, names and
 * aliases, case-insensitively; links to no character note are left out.
 */
export function buildCharacterGraph(characters: CharacterInput[]): CharacterGraph {
  const byName = new Map<string, string>();
  for (const c of characters) {
    const stem = (c.path.split("/").pop() ?? c.path).replace(/\.md$/i, "");
    for (const name of [stem, c.name, ...c.aliases]) {
      const key = name.trim().toLowerCase();
      if (key && !byName.has(key)) byName.set(key, c.path);
    }
  }
  const nodes = characters.map((c) => ({ id: c.path, label: c.name, appearances: new Set(c.chapters).size }));
  const edges = new Map<string, GraphEdge>();
  const edgeOf = (a: string, b: string): GraphEdge => {
    const [source, target] = a < b ? [a, b] : [b, a];
    const id = `${source}\n${target}`;
    let edge = edges.get(id);
    if (!edge) {
      edge = { source, target, kinds: [], shared: 0, weight: 0 };
      edges.set(id, edge);
    }
    return edge;
  };
  for (const c of characters) {
    for (const r of c.relationships) {
      const other = byName.get(linkTarget(r.with).toLowerCase());
      if (!other || other === c.path) continue;
      const edge = edgeOf(c.path, other);
      const kind = r.kind.trim();
      if (kind && !edge.kinds.includes(kind)) edge.kinds.push(kind);
    }
  }
  for (let i = 0; i < characters.length; i++) {
    const mine = new Set(characters[i]!.chapters);
    for (let j = i + 1; j < characters.length; j++) {
      const shared = new Set(characters[j]!.chapters.filter((n) => mine.has(n))).size;
      if (shared > 0) edgeOf(characters[i]!.path, characters[j]!.path).shared = shared;
    }
  }
  for (const edge of edges.values()) edge.weight = (edge.kinds.length > 0 ? RELATIONSHIP_WEIGHT : 0) + edge.shared;
  return { nodes, edges: [...edges.values()].sort((a, b) => (a.source + a.target < b.source + b.target ? -1 : 1)) };
}

/** `[[Jon Harrow|Jon]]`, `[[Characters/Jon#Voice]]` and plain `Jon` all name Jon. */
export function linkTarget(link: string): string {
  const inner = /^\s*!?\[\[([^\]]*)\]\]\s*$/.exec(link)?.[1] ?? link;
  const target = inner.split("|")[0]!.split("#")[0]!.trim();
  return (target.split("/").pop() ?? target).replace(/\.md$/i, "").trim();
}

/**
 * Places the nodes inside `width`×`height`: connected characters pulled together by their edges'
 * weights, all pushed apart, a weak pull to the middle so unconnected ones stay in view. Circles grow
 * with appearances (by area, so a character in four times the chapters has twice the radius). Nodes are
 * placed in id order, so the input's order does not change the picture.
 */
export function layoutGraph(nodes: GraphNode[], edges: GraphEdge[], options: LayoutOptions): GraphLayout {
  const { width, height } = options;
  const iterations = options.iterations ?? 300;
  const random = seededRandom(options.seed ?? 1);
  const most = Math.max(1, ...nodes.map((n) => n.appearances));
  const placed: PlacedNode[] = [...nodes]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((n) => ({ ...n, radius: MIN_RADIUS + (MAX_RADIUS - MIN_RADIUS) * Math.sqrt(n.appearances / most), x: 0, y: 0 }));
  const clampX = (n: PlacedNode, x: number) => Math.min(width - PADDING - n.radius, Math.max(PADDING + n.radius, x));
  const clampY = (n: PlacedNode, y: number) => Math.min(height - PADDING - n.radius, Math.max(PADDING + n.radius, y));
  for (const n of placed) {
    n.x = clampX(n, PADDING + random() * (width - 2 * PADDING));
    n.y = clampY(n, PADDING + random() * (height - 2 * PADDING));
  }
  if (placed.length === 1) {
    placed[0]!.x = width / 2;
    placed[0]!.y = height / 2;
  }
  const index = new Map(placed.map((n, i) => [n.id, i]));
  const links = edges
    .map((e) => {
      const [a, b] = [index.get(e.source), index.get(e.target)];
      return a !== undefined && b !== undefined && b < a ? { a: b, b: a, weight: Math.max(e.weight, 0.5) } : { a, b, weight: Math.max(e.weight, 0.5) };
    })
    .filter((l): l is { a: number; b: number; weight: number } => l.a !== undefined && l.b !== undefined && l.a !== l.b)
    // In node order too: forces summed in another order differ in the last bits, and the picture with them.
    .sort((x, y) => x.a - y.a || x.b - y.b || x.weight - y.weight);
  const maxWeight = Math.max(1, ...links.map((l) => l.weight));
  // The ideal distance between nodes: the area shared out among them.
  const k = 0.8 * Math.sqrt((width * height) / Math.max(1, placed.length));
  const dx = new Float64Array(placed.length);
  const dy = new Float64Array(placed.length);
  const startTemperature = Math.min(width, height) / 8;
  for (let step = 0; step < iterations && placed.length > 1; step++) {
    dx.fill(0);
    dy.fill(0);
    for (let i = 0; i < placed.length; i++) {
      for (let j = i + 1; j < placed.length; j++) {
        let ux = placed[i]!.x - placed[j]!.x;
        let uy = placed[i]!.y - placed[j]!.y;
        let d = Math.hypot(ux, uy);
        if (d < 0.01) {
          // On top of each other: push apart along a direction fixed by their indices, not by chance.
          const angle = (i * 7 + j * 13) % 360;
          ux = Math.cos(angle);
          uy = Math.sin(angle);
          d = 0.01;
        }
        const force = (k * k) / d;
        dx[i]! += (ux / d) * force;
        dy[i]! += (uy / d) * force;
        dx[j]! -= (ux / d) * force;
        dy[j]! -= (uy / d) * force;
      }
    }
    for (const l of links) {
      const a = placed[l.a]!;
      const b = placed[l.b]!;
      const ux = a.x - b.x;
      const uy = a.y - b.y;
      const d = Math.max(0.01, Math.hypot(ux, uy));
      const force = ((d * d) / k) * (0.5 + l.weight / maxWeight);
      dx[l.a]! -= (ux / d) * force;
      dy[l.a]! -= (uy / d) * force;
      dx[l.b]! += (ux / d) * force;
      dy[l.b]! += (uy / d) * force;
    }
    const temperature = startTemperature * (1 - step / iterations);
    placed.forEach((n, i) => {
      // A weak pull to the middle keeps unconnected characters from drifting to the walls.
      dx[i]! += (width / 2 - n.x) * 0.05 * (k / 10);
      dy[i]! += (height / 2 - n.y) * 0.05 * (k / 10);
      const d = Math.hypot(dx[i]!, dy[i]!);
      if (d > 0) {
        const move = Math.min(d, temperature);
        n.x = clampX(n, n.x + (dx[i]! / d) * move);
        n.y = clampY(n, n.y + (dy[i]! / d) * move);
      }
    });
  }
  return { width, height, nodes: placed, edges: edges.filter((e) => index.has(e.source) && index.has(e.target)) };
}

export interface GraphActions {
  /** Opens the character's note (double click, or Enter on a focused node). */
  openCharacter(path: string): void;
  /** Selects the character (a click); without it a click opens the note. */
  selectCharacter?(path: string): void;
}

/**
 * Draws the laid-out graph into `el` as an SVG: a line per edge (thicker for heavier ones, a named
 * relationship in its title), a circle and a label per character. Returns the SVG element.
 */
export function renderCharacterGraph(el: HTMLElement, graph: GraphLayout, actions: GraphActions, selected: string | null = null): SVGSVGElement {
  const svg = el.createSvg("svg", {
    cls: "bookwright-graph",
    attr: { viewBox: `0 0 ${graph.width} ${graph.height}`, role: "group", "aria-label": "Character graph" },
  });
  const at = new Map(graph.nodes.map((n) => [n.id, n]));
  const maxWeight = Math.max(1, ...graph.edges.map((e) => e.weight));
  const lines = svg.createSvg("g", { cls: "bookwright-graph-edges" });
  for (const edge of graph.edges) {
    const a = at.get(edge.source);
    const b = at.get(edge.target);
    if (!a || !b) continue;
    const line = lines.createSvg("line", {
      cls: ["bookwright-graph-edge", ...(edge.kinds.length ? ["bookwright-graph-relationship"] : [])],
      attr: { x1: round(a.x), y1: round(a.y), x2: round(b.x), y2: round(b.y), "stroke-width": round(1 + 3 * (edge.weight / maxWeight)) },
    });
    const parts = [...edge.kinds, ...(edge.shared ? [`${edge.shared} shared chapter${edge.shared === 1 ? "" : "s"}`] : [])];
    line.createSvg("title").textContent = `${a.label} and ${b.label}: ${parts.join(", ")}`;
  }
  const group = svg.createSvg("g", { cls: "bookwright-graph-nodes" });
  for (const node of graph.nodes) {
    const g = group.createSvg("g", {
      cls: ["bookwright-graph-node", ...(node.id === selected ? ["bookwright-selected"] : [])],
      attr: { tabindex: 0, role: "button", "data-path": node.id, "aria-label": `${node.label}, ${node.appearances} chapter${node.appearances === 1 ? "" : "s"}` },
    });
    g.createSvg("circle", { attr: { cx: round(node.x), cy: round(node.y), r: round(node.radius) } });
    const label = g.createSvg("text", { cls: "bookwright-graph-label", attr: { x: round(node.x), y: round(node.y + node.radius + 12), "text-anchor": "middle" } });
    label.textContent = node.label;
    g.addEventListener("click", () => (actions.selectCharacter ?? actions.openCharacter)(node.id));
    g.addEventListener("dblclick", () => actions.openCharacter(node.id));
    g.addEventListener("keydown", (evt) => {
      if (evt.key === "Enter") actions.openCharacter(node.id);
      else if (evt.key === " " && actions.selectCharacter) {
        evt.preventDefault();
        actions.selectCharacter(node.id);
      }
    });
  }
  return svg;
}


function round(n: number): number {
  return Math.round(n * 10) / 10;
}
