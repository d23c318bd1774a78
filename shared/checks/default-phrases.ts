/**
 * Stock phrasing that marks prose as machine-written or worn out: the phrases writers and EQ-Bench's
 * "slop" lists keep finding in AI drafts. Kept as data so the product can show it and a writer can switch
 * it off or add their own (their list lives as a note in the vault and uses the same syntax).
 *
 * Syntax, one phrase per entry, matched case-insensitively and across line wraps:
 * - `*` on its own stands for any one word: `a breath * didn't know * was holding` (she, he, they, I…);
 * - `*` inside a word stands for any letters: `delv*` (delve, delves, delved, delving);
 * - straight and curly apostrophes match each other.
 */
export const DEFAULT_PHRASES: readonly string[] = [
  // Named in the brief and in every complaint thread.
  "the tension was palpable",
  "a testament to",
  "couldn't help but",
  "let out a breath * didn't know * was holding",
  "a breath * didn't know * was holding",
  "in a world where",
  "little did * know",
  "sent shivers down",
  "eyes widen*",
  "a wave of",
  "delv*",
  "tapestry",
  "the weight of",
  "it was as if",
  "barely above a whisper",
  // Stock bodily reactions.
  "shivers down * spine",
  "a shiver ran down",
  "a chill ran down",
  "heart skipped a beat",
  "heart pounded in * chest",
  "the hairs on the back of * neck",
  "jaw clenched",
  "a knot formed in * stomach",
  "with bated breath",
  "breath hitched",
  "a smile tugged at",
  "the corners of * mouth",
  "a ghost of a smile",
  "eyes sparkled with",
  "voice dripping with",
  // Stock abstractions and weather of the soul.
  "a sense of",
  "a flicker of",
  "a pang of",
  "a surge of",
  "a mix of",
  "a mixture of",
  "every fiber of * being",
  "every fibre of * being",
  "the gravity of the situation",
  "a stark reminder",
  "a stark contrast",
  "something shifted",
  "unspoken understanding",
  "newfound",
  "steeled",
  // Stock atmosphere and time.
  "time seemed to stand still",
  "time stood still",
  "the air was thick with",
  "hung in the air",
  "the silence was deafening",
  "deafening silence",
  "for what felt like an eternity",
  "in that moment",
  "only time would tell",
  "the calm before the storm",
  "a symphony of",
  "a kaleidoscope of",
  "a cacophony of",
  "a dance of",
  "intricate dance",
  "a beacon of",
  "navigate the complexities",
  "embark* on a journey",
  "unbeknownst to",
  "something akin to",
  "couldn't shake the feeling",
  "what the future held",
  "and so it was that",
];
