/**
 * Plants contradictions into copies of a book's chapters, the way FlawedFictions (COLM 2025) builds its
 * test set: establish a fact early, contradict it later. Each plant is a pair of sentences inserted at
 * paragraph breaks, so the prose around them is the writer's own and the answer key is exact.
 */
import { seededRandom } from "../util/seeded-random";

export interface PlantableChapter {
  chapter: number;
  body: string;
}

export interface Plant {
  kind: "status" | "eye-colour" | "knowledge" | "date" | "name";
  character: string;
  /** The chapter and sentence that establish the fact. */
  fact: { chapter: number; sentence: string };
  /** The later chapter and sentence that contradict it. */
  contradiction: { chapter: number; sentence: string };
}

const COLOURS = ["grey", "brown", "green", "blue", "hazel", "black"];
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];


/**
 * `count` plants over the given characters: each fact lands in the first third of the book, its
 * contradiction at least one chapter later. Returns the altered chapters (copies) and the answer key.
 */
export function plantContradictions(
  chapters: PlantableChapter[],
  characters: string[],
  count: number,
  seed = 1,
): { chapters: PlantableChapter[]; plants: Plant[] } {
  if (chapters.length < 2) throw new Error(`planting contradictions needs at least 2 chapters; the book has ${chapters.length}`);
  if (characters.length === 0) throw new Error("planting contradictions needs at least one character name (from the codex)");
  const next = seededRandom(seed);
  const pick = <T>(items: T[]): T => items[Math.floor(next() * items.length)]!;
  const sorted = [...chapters].sort((a, b) => a.chapter - b.chapter);
  const early = sorted.slice(0, Math.max(1, Math.floor(sorted.length / 3)));
  const plants: Plant[] = [];
  const kinds: Plant["kind"][] = ["status", "eye-colour", "knowledge", "date", "name"];
  for (let i = 0; i < count; i++) {
    const kind = kinds[i % kinds.length]!;
    const character = pick(characters);
    const factChapter = pick(early);
    const later = sorted.filter((c) => c.chapter > factChapter.chapter);
    const contradictionChapter = pick(later);
    const [fact, contradiction] = sentencesFor(kind, character, i, pick);
    plants.push({ kind, character, fact: { chapter: factChapter.chapter, sentence: fact }, contradiction: { chapter: contradictionChapter.chapter, sentence: contradiction } });
  }
  const altered = sorted.map((c) => {
    let body = c.body;
    for (const plant of plants) {
      if (plant.fact.chapter === c.chapter) body = insertAtParagraph(body, plant.fact.sentence, next);
      if (plant.contradiction.chapter === c.chapter) body = insertAtParagraph(body, plant.contradiction.sentence, next);
    }
    return { chapter: c.chapter, body };
  });
  return { chapters: altered, plants };
}

function sentencesFor(kind: Plant["kind"], name: string, i: number, pick: <T>(items: T[]) => T): [string, string] {
  const first = name.split(" ")[0]!;
  switch (kind) {
    case "status":
      return [`That was the winter ${name} died, and the village buried ${first} by the chapel wall.`, `${name} came in from the yard and poured everyone a drink.`];
    case "eye-colour": {
      const a = pick(COLOURS);
      const b = pick(COLOURS.filter((c) => c !== a));
      return [`${first} had ${a} eyes, the same ${a} as the winter sea.`, `${first} turned ${first === name ? "their" : "those"} ${b} eyes to the window.`];
    }
    case "knowledge":
      return [`Nobody had told ${first} about the sealed letter, and ${first} never learned of it.`, `${first} had known about the sealed letter from the start, of course.`];
    case "date": {
      const month = MONTHS[(i * 5) % 12]!;
      const other = MONTHS[(i * 5 + 4) % 12]!;
      return [`${first} arrived on the third of ${month}, a date the parish book still shows.`, `${first} remembered arriving on the third of ${other}.`];
    }
    case "name": {
      const variant = `${first.slice(0, -1)}${first.endsWith("a") ? "e" : "a"}`;
      return [`Everyone called ${first} by that name and no other.`, `${variant} nodded slowly, as ${variant} always did.`];
    }
  }
}

/** Inserts `sentence` as its own paragraph at a paragraph break chosen by `next`. */
function insertAtParagraph(body: string, sentence: string, next: () => number): string {
  const paragraphs = body.split(/\n{2,}/);
  const at = Math.min(paragraphs.length, 1 + Math.floor(next() * paragraphs.length));
  paragraphs.splice(at, 0, sentence);
  return paragraphs.join("\n\n");
}
