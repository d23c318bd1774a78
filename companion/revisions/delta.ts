/**
 * Edit scripts between two versions of a note, as bytes: "copy this range of the old text" and "insert
 * these bytes". Small edits to a long chapter (a word changed, a sentence added) become a script of a few
 * dozen bytes, which is what lets the revision store keep hundreds of revisions of a chapter in less space
 * than a few copies of it.
 *
 * Encoding works on UTF-8 bytes (not UTF-16 strings, where a split surrogate pair would not survive), in
 * three steps: the common prefix and suffix are copies; the lines between them are matched greedily
 * against the old text's lines (a line found in the old text, preferably right after the previous copy,
 * is a copy; any other line is inserted); finally each inserted run gives back to its neighbouring copies
 * whatever bytes it shares with the old text around them, so a word changed inside a long paragraph costs
 * that word, not the paragraph. The matching only decides how small the script is: `applyDelta` rebuilds
 * exactly the target from any script `encodeDelta` wrote, and the store checks every rebuilt text's SHA-256.
 *
 * Format (version 1): the byte 1; varint target length; then ops to the end, each a varint `length * 2`
 * followed by the zigzag varint of (copy offset − end of the previous copy), or `length * 2 + 1` followed
 * by that many literal bytes. Varints are little-endian base 128.
 */

const FORMAT_VERSION = 1;
/** A matched run of lines shorter than this is inserted: the copy op would cost about as much. */
const MIN_COPY_BYTES = 8;
/** Candidate lines looked at either side of where the previous copy ended. */
const CANDIDATES_EACH_SIDE = 8;
/** Lines followed to score a candidate. */
const RUN_LINES = 32;

/** A delta that does not apply to the base it was given (damaged, or written against another text). */
export class DeltaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DeltaError";
  }
}

type Op = { copy: true; offset: number; length: number } | { copy: false; start: number; end: number };

/** An edit script that turns `base` into `target`. */
export function encodeDelta(base: Buffer, target: Buffer): Buffer {
  const baseLength = base.length;
  const targetLength = target.length;
  const shorter = Math.min(baseLength, targetLength);
  let prefix = 0;
  while (prefix < shorter && base[prefix] === target[prefix]) prefix++;
  let suffix = 0;
  while (suffix < shorter - prefix && base[baseLength - 1 - suffix] === target[targetLength - 1 - suffix]) suffix++;

  const ops = new OpList();
  ops.copy(0, prefix);
  matchLines(base, prefix, baseLength - suffix, target, prefix, targetLength - suffix, ops);
  ops.copy(baseLength - suffix, suffix);
  return serialize(refine(ops.ops, base, target), target);
}

class OpList {
  readonly ops: Op[] = [];

  copy(offset: number, length: number): void {
    if (length === 0) return;
    const last = this.ops[this.ops.length - 1];
    if (last?.copy && last.offset + last.length === offset) last.length += length;
    else this.ops.push({ copy: true, offset, length });
  }

  insert(start: number, end: number): void {
    if (end === start) return;
    const last = this.ops[this.ops.length - 1];
    if (last && !last.copy && last.end === start) last.end = end;
    else this.ops.push({ copy: false, start, end });
  }
}

/** Line start offsets in `bytes[from, to)`, plus `to` at the end: line i is `[starts[i], starts[i + 1])`. */
function lineStarts(bytes: Buffer, from: number, to: number): number[] {
  const starts = [from];
  let at = from;
  while (at < to) {
    const newline = bytes.indexOf(0x0a, at);
    if (newline === -1 || newline >= to - 1) break;
    at = newline + 1;
    starts.push(at);
  }
  starts.push(to);
  return starts;
}

function matchLines(base: Buffer, baseFrom: number, baseTo: number, target: Buffer, targetFrom: number, targetTo: number, ops: OpList): void {
  if (targetFrom === targetTo) return;
  if (baseFrom === baseTo) {
    ops.insert(targetFrom, targetTo);
    return;
  }
  const baseLines = lineStarts(base, baseFrom, baseTo);
  const targetLines = lineStarts(target, targetFrom, targetTo);
  const baseCount = baseLines.length - 1;
  const targetCount = targetLines.length - 1;
  // Base line numbers by content (latin1 maps each byte to one char, so equal keys mean equal bytes).
  const byContent = new Map<string, number[]>();
  for (let j = 0; j < baseCount; j++) {
    const key = base.toString("latin1", baseLines[j], baseLines[j + 1]);
    const list = byContent.get(key);
    if (list) list.push(j);
    else byContent.set(key, [j]);
  }
  const equal = (j: number, i: number): boolean => {
    const bs = baseLines[j]!;
    const be = baseLines[j + 1]!;
    const ts = targetLines[i]!;
    const te = targetLines[i + 1]!;
    return be - bs === te - ts && base.compare(target, ts, te, bs, be) === 0;
  };
  /** Bytes in the run of equal lines starting at base line j and target line i. */
  const runBytes = (j: number, i: number): number => {
    let bytes = 0;
    for (let k = 0; k < RUN_LINES && j + k < baseCount && i + k < targetCount && equal(j + k, i + k); k++) {
      bytes += baseLines[j + k + 1]! - baseLines[j + k]!;
    }
    return bytes;
  };

  /** The base line expected next: the one after the previous copy (or the line an insert replaced). */
  let next = 0;
  for (let i = 0; i < targetCount; i++) {
    const ts = targetLines[i]!;
    const te = targetLines[i + 1]!;
    if (next < baseCount && equal(next, i)) {
      ops.copy(baseLines[next]!, te - ts);
      next++;
      continue;
    }
    const candidates = byContent.get(target.toString("latin1", ts, te));
    let best = -1;
    let bestBytes = 0;
    if (candidates) {
      const around = lowerBound(candidates, next);
      const from = Math.max(0, around - CANDIDATES_EACH_SIDE);
      const to = Math.min(candidates.length, around + CANDIDATES_EACH_SIDE);
      for (let c = from; c < to; c++) {
        const bytes = runBytes(candidates[c]!, i);
        if (bytes > bestBytes) {
          best = candidates[c]!;
          bestBytes = bytes;
        }
      }
    }
    if (best >= 0 && bestBytes >= MIN_COPY_BYTES) {
      ops.copy(baseLines[best]!, te - ts);
      next = best + 1;
    } else {
      ops.insert(ts, te);
      // Guess that the line replaced the expected one, so an unchanged line after it continues the copy.
      next++;
    }
  }
}

function lowerBound(sorted: readonly number[], value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (sorted[mid]! < value) low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * Shrinks each insert by what it shares with the old text at its edges: the bytes after the copy before
 * it, and the bytes before the copy after it. Then drops empty inserts and joins copies that became
 * contiguous.
 */
function refine(ops: Op[], base: Buffer, target: Buffer): Op[] {
  for (let k = 0; k < ops.length; k++) {
    const op = ops[k]!;
    if (op.copy) continue;
    const before = ops[k - 1];
    if (before?.copy) {
      while (op.start < op.end && before.offset + before.length < base.length && base[before.offset + before.length] === target[op.start]) {
        before.length++;
        op.start++;
      }
    }
    const after = ops[k + 1];
    if (after?.copy) {
      while (op.start < op.end && after.offset > 0 && base[after.offset - 1] === target[op.end - 1]) {
        after.offset--;
        after.length++;
        op.end--;
      }
    }
  }
  const result: Op[] = [];
  for (const op of ops) {
    if (!op.copy && op.start === op.end) continue;
    const last = result[result.length - 1];
    if (op.copy && last?.copy && last.offset + last.length === op.offset) last.length += op.length;
    else result.push(op);
  }
  return result;
}

class ByteWriter {
  private buffer = Buffer.allocUnsafe(256);
  private length = 0;

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + bytes));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }

  varint(value: number): void {
    this.reserve(8);
    let rest = value;
    while (rest >= 0x80) {
      this.buffer[this.length++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    this.buffer[this.length++] = rest;
  }

  bytes(source: Buffer, start: number, end: number): void {
    this.reserve(end - start);
    this.length += source.copy(this.buffer, this.length, start, end);
  }

  result(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}

function serialize(ops: readonly Op[], target: Buffer): Buffer {
  const out = new ByteWriter();
  out.varint(FORMAT_VERSION);
  out.varint(target.length);
  let cursor = 0;
  for (const op of ops) {
    if (op.copy) {
      out.varint(op.length * 2);
      const move = op.offset - cursor;
      out.varint(move >= 0 ? move * 2 : -move * 2 - 1);
      cursor = op.offset + op.length;
    } else {
      out.varint((op.end - op.start) * 2 + 1);
      out.bytes(target, op.start, op.end);
    }
  }
  return out.result();
}

/** Rebuilds the target from `base` and a script `encodeDelta` wrote; throws {@link DeltaError} if it does not fit. */
export function applyDelta(base: Buffer, delta: Buffer): Buffer {
  let at = 0;
  const varint = (): number => {
    let value = 0;
    let scale = 1;
    for (;;) {
      if (at >= delta.length) throw new DeltaError("delta ends inside a number");
      const byte = delta[at++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) break;
      scale *= 0x80;
      if (scale > Number.MAX_SAFE_INTEGER) throw new DeltaError("delta holds a number too large");
    }
    return value;
  };
  const version = varint();
  if (version !== FORMAT_VERSION) throw new DeltaError(`unknown delta format ${version}`);
  const size = varint();
  const out = Buffer.allocUnsafe(size);
  let written = 0;
  let cursor = 0;
  while (at < delta.length) {
    const head = varint();
    const length = Math.floor(head / 2);
    if (written + length > size) throw new DeltaError(`delta writes past its stated length ${size}`);
    if (head % 2 === 1) {
      if (at + length > delta.length) throw new DeltaError("delta ends inside inserted bytes");
      written += delta.copy(out, written, at, at + length);
      at += length;
    } else {
      const move = varint();
      const offset = cursor + (move % 2 === 0 ? move / 2 : -(move + 1) / 2);
      if (offset < 0 || offset + length > base.length) {
        throw new DeltaError(`delta copies bytes ${offset}–${offset + length} of a base of ${base.length} bytes`);
      }
      written += base.copy(out, written, offset, offset + length);
      cursor = offset + length;
    }
  }
  if (written !== size) throw new DeltaError(`delta rebuilt ${written} bytes, expected ${size}`);
  return out;
}
