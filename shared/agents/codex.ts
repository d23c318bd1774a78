/**
 * The codex as the story stands before a chapter: every extracted fact carries the chapter where it
 * became true, so the writer of chapter N sees each character as they are after chapter N-1 (alive or
 * dead, where, knowing what) and never a fact from the future (CRAFT.md: "state, not history").
 */
export type FactKind = "trait" | "arc" | "status" | "location" | "knowledge";

export interface CodexFact {
  kind: FactKind;
  value: string;
  /** The chapter where this became true; 0 for what is known from the start (earlier books' facts included). */
  chapter: number;
  /**
   * Where a fact from an earlier book of the series was established. Chapter numbers restart in every
   * book, so such a fact counts as known from the start of this one (`chapter` 0) and keeps this label
   * for the prompt, where a model can cite it ("book 1, chapter 12").
   */
  from?: EarlierSource;
}

/** A place in an earlier book of the series. */
export interface EarlierSource {
  /** The book's 1-based place in the series. */
  book: number;
  title: string;
  chapter: number;
}

/** `(book 1, chapter 12)`: how the prompt labels a fact from an earlier book. */
export function earlierLabel(from: EarlierSource): string {
  return `(book ${from.book}, chapter ${from.chapter})`;
}

export interface CodexCharacter {
  name: string;
  aliases: string[];
  role?: string;
  /** The writer's own description and sample lines (the character note's body). */
  sheet: string;
  facts: CodexFact[];
}

export interface CharacterState {
  name: string;
  aliases: string[];
  role?: string;
  sheet: string;
  status?: string;
  location?: string;
  traits: string[];
  arc: string[];
  knows: string[];
}

/** Each character's state before `chapter`: facts from chapters < chapter, later values winning. */
export function codexBefore(codex: CodexCharacter[], chapter: number): CharacterState[] {
  return codex.map((character) => {
    const state: CharacterState = { name: character.name, aliases: character.aliases, role: character.role, sheet: character.sheet, traits: [], arc: [], knows: [] };
    const facts = character.facts.filter((f) => f.chapter < chapter).sort((a, b) => a.chapter - b.chapter);
    for (const fact of facts) {
      // An earlier book's fact says where it comes from, so a checker can cite it; this book's facts read as before.
      const value = fact.from ? `${fact.value} ${earlierLabel(fact.from)}` : fact.value;
      if (fact.kind === "status") state.status = value;
      else if (fact.kind === "location") state.location = value;
      else if (fact.kind === "trait") state.traits.push(value);
      else if (fact.kind === "arc") state.arc.push(value);
      else state.knows.push(fact.from ? value : `${fact.value} (since chapter ${fact.chapter})`);
    }
    return state;
  });
}

/** Whether `name` is this character's name or one of its aliases (case-insensitive). */
export function isCharacter(state: { name: string; aliases: string[] }, name: string): boolean {
  const wanted = name.replace(/^\[\[|\]\]$/g, "").trim().toLowerCase();
  return [state.name, ...state.aliases].some((n) => n.toLowerCase() === wanted);
}

/** A character sheet as the prompt shows it: compact, current, with the writer's own notes. */
export function renderCharacter(state: CharacterState, full: boolean): string {
  const lines = [`### ${state.name}${state.aliases.length ? ` (also: ${state.aliases.join(", ")})` : ""}`];
  if (state.role) lines.push(`Role: ${state.role}`);
  if (state.status) lines.push(`Status: ${state.status}`);
  if (state.location) lines.push(`Last seen: ${state.location}`);
  if (full) {
    if (state.traits.length) lines.push(`Traits: ${state.traits.join("; ")}`);
    if (state.arc.length) lines.push(`Arc so far: ${state.arc.join("; ")}`);
    if (state.knows.length) lines.push(`Knows: ${state.knows.join("; ")}`);
    if (state.sheet.trim()) lines.push(state.sheet.trim());
  }
  return lines.join("\n");
}
