/**
 * The content hash the write-safety protocol compares (DESIGN.md §4, compare and swap). It must be
 * synchronous, because the comparison runs inside `VaultFiles.process`'s callback, where awaiting
 * (e.g. Web Crypto's digest) would let another write slip in. It only has to notice that a note
 * changed, not resist an attacker, so FNV-1a is enough and costs one pass over the text.
 */

/** FNV-1a 64-bit offset basis and prime, split into 32-bit halves (JavaScript has no fast 64-bit ints). */
const OFFSET_HI = 0xcbf29ce4;
const OFFSET_LO = 0x84222325;
/** The prime is 2^40 + 0x1b3, so multiplying is `x * 0x1b3 + (x << 40)`. */
const PRIME_LOW_PART = 0x1b3;
const TWO_32 = 0x1_0000_0000;

/**
 * FNV-1a 64-bit over the text's UTF-16 code units, as 16 hex digits. Code units rather than UTF-8
 * bytes: no encoding step, and lone surrogates (which UTF-8 would turn into U+FFFD, hiding a change)
 * still count. For ASCII text the result equals the standard byte-wise FNV-1a 64 test vectors.
 *
 * @example hashText("") // "cbf29ce484222325"
 */
export function hashText(text: string): string {
  let hi = OFFSET_HI;
  let lo = OFFSET_LO;
  for (let i = 0; i < text.length; i++) {
    lo = (lo ^ text.charCodeAt(i)) >>> 0;
    // lo * 0x1b3 < 2^41, exact in a double; its upper part carries into hi.
    const product = lo * PRIME_LOW_PART;
    const carry = Math.floor(product / TWO_32);
    hi = (Math.imul(hi, PRIME_LOW_PART) + carry + (lo << 8)) >>> 0;
    lo = product >>> 0;
  }
  return hi.toString(16).padStart(8, "0") + lo.toString(16).padStart(8, "0");
}
