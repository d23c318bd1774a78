/**
 * Word-level diff of two note texts, for the revision history: what a restore would change, what a
 * revision changed against the one before it.
 *
 * The texts are cut into tokens (runs of whitespace, words, and single other characters), the tokens are
 * interned to integers, and the shortest edit script between the two integer sequences is found with
 * Myers' O(ND) algorithm in its linear-space form (the middle snake, split and recurse), trimming the
 * common prefix and suffix at every step. Long texts are compared by lines (paragraphs) first, and only
 * the paragraphs that changed word by word, so a chapter with a few edits costs little more than one pass.
 *
 * Two unrelated texts would cost O(N·D). Two limits keep that bounded: past `maxCost` edits in one split
 * the search stops at its furthest point and recurses from there (as git's xdiff does), and past
 * `maxWork` steps in all, what is left to compare becomes a plain deletion and insertion. Either way the
 * diff may be longer than the shortest, never wrong: the `equal` and `delete` ops in order give `a`, the
 * `equal` and `insert` ops give `b`.
 */

export type DiffOpKind = "equal" | "insert" | "delete";

export interface DiffOp {
  op: DiffOpKind;
  text: string;
}

export interface WordDiffOptions {
  /**
   * Edits searched per split before giving up on the shortest script for that stretch and splitting at
   * the furthest point reached. @default 256
   */
  maxCost?: number;
  /**
   * Compare lines first and then the words of the lines that changed. Much faster on long texts, and
   * the diff can differ from the word-level one only where a paragraph matched another by chance.
   * @default true above 20,000 characters
   */
  lines?: boolean;
  /**
   * Search steps for the whole diff (one step: a diagonal tried, or a token compared along one). Once
   * spent, each stretch not yet compared becomes one deletion and one insertion (after its common
   * start and end are trimmed), so two long unrelated texts cost a bounded time. @default 5,000,000
   */
  maxWork?: number;
  /**
   * Fold short equal runs between changes into them (see {@link diffWords}). Off, the ops are the
   * shortest edit script itself. @default true
   */
  cleanup?: boolean;
}

/**
 * Whitespace runs, words (letters, digits, marks and `_`, with inner apostrophes: `don't`, `Darcy’s`), and
 * any other single code point. Every code point of any string falls in exactly one token, lone
 * surrogates included, so the tokens always join back into the text.
 */
const TOKEN = /\s+|[\p{L}\p{N}\p{M}_]+(?:['’][\p{L}\p{N}\p{M}_]+)*|[^]/gu;

/** The tokens of `text`, in order; joined, they give `text` back. */
export function tokenize(text: string): string[] {
  return text.match(TOKEN) ?? [];
}

/**
 * The changes that turn `a` into `b`, word by word. Adjacent ops never share a kind; within one changed
 * stretch the deletion comes before the insertion; a short equal run caught between two larger changes
 * (a space, a `the`) is folded into them, so `the quick fox` → `a slow fox` reads as one change, not three.
 *
 * @example diffWords("the cat sat", "the dog sat")
 * // [{ op: "equal", text: "the " }, { op: "delete", text: "cat" }, { op: "insert", text: "dog" }, { op: "equal", text: " sat" }]
 */
export function diffWords(a: string, b: string, options: WordDiffOptions = {}): DiffOp[] {
  if (a === b) return a === "" ? [] : [{ op: "equal", text: a }];
  const budget: Budget = { maxCost: Math.max(1, Math.floor(options.maxCost ?? 256)), work: options.maxWork ?? 5_000_000 };
  const ops: DiffOp[] = [];
  if (options.lines ?? a.length + b.length > LINES_FIRST_CHARS) {
    // Paragraphs first: equal ones are equal text, and only the stretches that changed are compared
    // word by word, which keeps a long chapter with a few edits cheap.
    const linesA = splitLines(a);
    const linesB = splitLines(b);
    const ids = new Map<string, number>();
    const script = new Script();
    myers(intern(linesA, ids), intern(linesB, ids), budget, script);
    let i = 0;
    let j = 0;
    let deleted = "";
    let inserted = "";
    const compareChanged = (): void => {
      if (deleted !== "" || inserted !== "") diffTokens(deleted, inserted, budget, ops);
      deleted = "";
      inserted = "";
    };
    for (let s = 0; s < script.kinds.length; s++) {
      const count = script.counts[s]!;
      switch (script.kinds[s]) {
        case "equal":
          compareChanged();
          ops.push({ op: "equal", text: linesA.slice(i, i + count).join("") });
          i += count;
          j += count;
          break;
        case "delete":
          deleted += linesA.slice(i, i + count).join("");
          i += count;
          break;
        case "insert":
          inserted += linesB.slice(j, j + count).join("");
          j += count;
          break;
      }
    }
    compareChanged();
  } else {
    diffTokens(a, b, budget, ops);
  }
  return options.cleanup === false ? merge(ops) : tidy(ops);
}

/** Above this many characters in all, {@link diffWords} compares lines before words. */
const LINES_FIRST_CHARS = 20_000;

/** Lines with their line ends; joined, they give `text` back. */
function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** `values` as small integers, equal values getting equal ids (shared through `ids`). */
function intern(values: readonly string[], ids: Map<string, number>): Int32Array {
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    let id = ids.get(value);
    if (id === undefined) {
      id = ids.size;
      ids.set(value, id);
    }
    out[i] = id;
  }
  return out;
}

/** Appends the token-level ops of `a` → `b` to `ops`. */
function diffTokens(a: string, b: string, budget: Budget, ops: DiffOp[]): void {
  const tokensA = tokenize(a);
  const tokensB = tokenize(b);
  const ids = new Map<string, number>();
  const script = new Script();
  myers(intern(tokensA, ids), intern(tokensB, ids), budget, script);
  // A loop, not push(...): a long diff has more ops than a call may take arguments.
  for (const op of script.toOps(tokensA, tokensB)) ops.push(op);
}

/** Joins neighbouring ops of one kind. */
function merge(ops: readonly DiffOp[]): DiffOp[] {
  const out: DiffOp[] = [];
  for (const op of ops) {
    const last = out[out.length - 1];
    if (last?.op === op.op) last.text += op.text;
    else out.push({ ...op });
  }
  return out;
}

/** Words in a diff's inserted and deleted text, counted by the caller's word counter. */
export function changedWords(ops: readonly DiffOp[], count: (text: string) => number): { inserted: number; deleted: number } {
  let inserted = 0;
  let deleted = 0;
  for (const op of ops) {
    if (op.op === "insert") inserted += count(op.text);
    else if (op.op === "delete") deleted += count(op.text);
  }
  return { inserted, deleted };
}

/** The edit script as runs of token counts: equal runs consume both sides, deletes `a`, inserts `b`. */
class Script {
  readonly kinds: DiffOpKind[] = [];
  readonly counts: number[] = [];

  push(kind: DiffOpKind, count: number): void {
    if (count <= 0) return;
    const last = this.kinds.length - 1;
    if (last >= 0 && this.kinds[last] === kind) this.counts[last]! += count;
    else {
      this.kinds.push(kind);
      this.counts.push(count);
    }
  }

  toOps(tokensA: readonly string[], tokensB: readonly string[]): DiffOp[] {
    const ops: DiffOp[] = [];
    let i = 0;
    let j = 0;
    for (let s = 0; s < this.kinds.length; s++) {
      const kind = this.kinds[s]!;
      const count = this.counts[s]!;
      if (kind === "insert") {
        ops.push({ op: kind, text: tokensB.slice(j, j + count).join("") });
        j += count;
      } else {
        ops.push({ op: kind, text: tokensA.slice(i, i + count).join("") });
        i += count;
        if (kind === "equal") j += count;
      }
    }
    return ops;
  }
}

/** A stretch still to compare, or an equal run to emit once the stretches before it are done. */
type Task = { lo: number; hi: number; blo: number; bhi: number } | { equal: number };

/**
 * Appends the edit script of `a` → `b` to `script`. Iterative (an explicit stack), so a long chain of
 * splits cannot overflow the call stack.
 */
/** What the search may still spend: edits per split, and steps in all (counted down). */
interface Budget {
  maxCost: number;
  work: number;
}

function myers(a: Int32Array, b: Int32Array, budget: Budget, script: Script): void {
  const stack: Task[] = [{ lo: 0, hi: a.length, blo: 0, bhi: b.length }];
  while (stack.length > 0) {
    const task = stack.pop()!;
    if ("equal" in task) {
      script.push("equal", task.equal);
      continue;
    }
    let { lo, hi, blo, bhi } = task;
    const start = lo;
    while (lo < hi && blo < bhi && a[lo] === b[blo]) {
      lo++;
      blo++;
    }
    script.push("equal", lo - start);
    const end = hi;
    while (hi > lo && bhi > blo && a[hi - 1] === b[bhi - 1]) {
      hi--;
      bhi--;
    }
    const suffix = end - hi;
    if (lo === hi || blo === bhi) {
      script.push("delete", hi - lo);
      script.push("insert", bhi - blo);
      script.push("equal", suffix);
      continue;
    }
    const split = budget.work > 0 ? middleSnake(a, lo, hi, b, blo, bhi, budget) : null;
    if (split === null) {
      script.push("delete", hi - lo);
      script.push("insert", bhi - blo);
      script.push("equal", suffix);
      continue;
    }
    const [x, y] = split;
    // Popped in reverse: first half, second half, then the suffix.
    stack.push({ equal: suffix });
    stack.push({ lo: lo + x, hi, blo: blo + y, bhi });
    stack.push({ lo, hi: lo + x, blo, bhi: blo + y });
  }
}

/**
 * Myers' middle snake over `a[lo, hi)` and `b[blo, bhi)` (whose first and last tokens differ): a point
 * (x, y), relative to (lo, blo), on a shortest edit path, found by searching forward from the start and
 * backward from the end until the two searches meet. After `maxCost` rounds without meeting, the
 * furthest point the forward search reached. Null only when no useful split exists.
 */
function middleSnake(a: Int32Array, lo: number, hi: number, b: Int32Array, blo: number, bhi: number, budget: Budget): [number, number] | null {
  const n = hi - lo;
  const m = bhi - blo;
  const rounds = Math.min(Math.ceil((n + m) / 2), budget.maxCost + 1);
  const offset = rounds + 1;
  const length = 2 * offset + 2;
  // Furthest x reached on each diagonal k = x - y, forward (v1) and backward (v2); -1 is "not yet".
  const v1 = new Int32Array(length).fill(-1);
  const v2 = new Int32Array(length).fill(-1);
  v1[offset + 1] = 0;
  v2[offset + 1] = 0;
  const delta = n - m;
  // With an odd delta the forward search is the one that meets the backward one's paths.
  const front = (delta & 1) !== 0;
  // Diagonals that ran off the edge of the grid are skipped from then on.
  let k1start = 0;
  let k1end = 0;
  let k2start = 0;
  let k2end = 0;
  let bestX = -1;
  let bestY = -1;
  for (let d = 0; d < rounds; d++) {
    // Out of steps: split where the search got furthest, and the stretches left are not searched.
    if (budget.work <= 0) break;
    bestX = -1;
    bestY = -1;
    for (let k1 = -d + k1start; k1 <= d - k1end; k1 += 2) {
      const k1off = offset + k1;
      let x1 = k1 === -d || (k1 !== d && v1[k1off - 1]! < v1[k1off + 1]!) ? v1[k1off + 1]! : v1[k1off - 1]! + 1;
      let y1 = x1 - k1;
      const from1 = x1;
      while (x1 < n && y1 < m && a[lo + x1] === b[blo + y1]) {
        x1++;
        y1++;
      }
      budget.work -= 1 + x1 - from1;
      v1[k1off] = x1;
      if (x1 > n) k1end += 2;
      else if (y1 > m) k1start += 2;
      else {
        if (x1 + y1 > bestX + bestY) {
          bestX = x1;
          bestY = y1;
        }
        if (front) {
          const k2off = offset + delta - k1;
          if (k2off >= 0 && k2off < length && v2[k2off] !== -1 && x1 >= n - v2[k2off]!) return usable(x1, y1, n, m);
        }
      }
    }
    for (let k2 = -d + k2start; k2 <= d - k2end; k2 += 2) {
      const k2off = offset + k2;
      let x2 = k2 === -d || (k2 !== d && v2[k2off - 1]! < v2[k2off + 1]!) ? v2[k2off + 1]! : v2[k2off - 1]! + 1;
      let y2 = x2 - k2;
      const from2 = x2;
      while (x2 < n && y2 < m && a[hi - 1 - x2] === b[bhi - 1 - y2]) {
        x2++;
        y2++;
      }
      budget.work -= 1 + x2 - from2;
      v2[k2off] = x2;
      if (x2 > n) k2end += 2;
      else if (y2 > m) k2start += 2;
      else if (!front) {
        const k1off = offset + delta - k2;
        if (k1off >= 0 && k1off < length && v1[k1off] !== -1) {
          const x1 = v1[k1off]!;
          const y1 = x1 - (k1off - offset);
          if (x1 >= n - x2) return usable(x1, y1, n, m);
        }
      }
    }
  }
  // Too costly to finish: split where the forward search got furthest. Its prefix is solved within the
  // cost spent here; the rest is compared afresh.
  return bestX < 0 ? null : usable(bestX, bestY, n, m);
}

/** A split that leaves both halves smaller than the whole, or null. */
function usable(x: number, y: number, n: number, m: number): [number, number] | null {
  if ((x === 0 && y === 0) || (x === n && y === m) || x < 0 || y < 0 || x > n || y > m) return null;
  return [x, y];
}

/** One changed stretch: what `a` had there and what `b` has instead (either may be empty). */
interface Change {
  deleted: string;
  inserted: string;
}

/**
 * Merges each changed stretch into one deletion then one insertion, and folds into its neighbours any
 * equal run between two changes that is no longer than the larger side of each (the rule of
 * diff-match-patch's semantic cleanup). Without it a shortest script pins a rewritten sentence to every
 * `the` and space it shares with the old one, and a reader sees confetti instead of one change.
 */
function tidy(ops: readonly DiffOp[]): DiffOp[] {
  // Alternating equal strings and changes, built as a stack: each change that arrives may swallow the
  // equal run before it and the change before that, and then (being larger) the pair before those.
  const items: (string | Change)[] = [];
  const size = (c: Change): number => Math.max(c.deleted.length, c.inserted.length);
  for (const op of ops) {
    const top = items[items.length - 1];
    if (op.op === "equal") {
      if (typeof top === "string") items[items.length - 1] = top + op.text;
      else items.push(op.text);
      continue;
    }
    let change: Change =
      top !== undefined && typeof top !== "string" ? (items.pop() as Change) : { deleted: "", inserted: "" };
    if (op.op === "delete") change = { deleted: change.deleted + op.text, inserted: change.inserted };
    else change = { deleted: change.deleted, inserted: change.inserted + op.text };
    items.push(change);
  }
  const out: (string | Change)[] = [];
  for (const item of items) {
    if (typeof item === "string") {
      out.push(item);
      continue;
    }
    let change = item;
    for (;;) {
      const equal = out[out.length - 1];
      const before = out[out.length - 2];
      if (typeof equal !== "string" || before === undefined || typeof before === "string") break;
      if (equal.length > size(before) || equal.length > size(change)) break;
      out.length -= 2;
      change = { deleted: before.deleted + equal + change.deleted, inserted: before.inserted + equal + change.inserted };
    }
    out.push(change);
  }
  return out.flatMap((item): DiffOp[] => {
    if (typeof item === "string") return [{ op: "equal", text: item }];
    const result: DiffOp[] = [];
    if (item.deleted !== "") result.push({ op: "delete", text: item.deleted });
    if (item.inserted !== "") result.push({ op: "insert", text: item.inserted });
    return result;
  });
}
