/**
 * mulberry32: a small, fast seeded generator of numbers in [0, 1). The same seed gives the same sequence
 * on every machine and device, which is what the character graph's starting layout, the planted
 * contradictions of the continuity eval, and every seeded test and benchmark need.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A 32-bit seed from a text (FNV-1a over its UTF-16 code units): the same text gives the same seed on every
 * machine, so a reply seeded by its prompt (the offline simulator, the tests' fake server) is reproducible.
 */
export function seedFromText(text: string): number {
  let hash = 2166136261;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 16777619);
  }
  return hash >>> 0;
}
