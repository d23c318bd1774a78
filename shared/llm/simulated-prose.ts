/**
 * The offline simulator's placeholder prose (simulated-llm.ts): sentences put together from word lists,
 * naming the characters it is given, seeded so the same request always gets the same text.
 *
 * Why not a few fixed sentences repeated (as the fake server of the tests does): the queue runs the
 * book's repeated-wording check over every chapter it writes, and the same sentence in every chapter would
 * fill each continuity report with findings about the simulator rather than the book. So every slot of a
 * sentence is drawn from its own list, the lists are shuffled per seed and gone through in turn (no word
 * comes back in its slot before the whole list has been used), and the lists have different, mostly prime,
 * lengths, so two neighbouring slots do not meet in the same pairing again for well over a chapter.
 */
import { seededRandom } from "../util/seeded-random";

// Single words only: a phrase of fixed words in a slot is a run that repeats whenever the slot does.
const NOUNS = [
  "lamp", "ledger", "kettle", "rope", "window", "letter", "coat", "table", "railing", "key", "candle", "map",
  "chair", "bell", "door", "basket", "knife", "shelf", "blanket", "boot", "lantern", "jar", "compass", "net",
  "bucket", "ladder", "clock", "scarf", "drawer", "cup", "hook", "oar", "stove", "pencil", "logbook", "glove",
  "crate", "tin", "mirror", "hatch", "bench",
]; // 41
const ADJECTIVES = [
  "cold", "narrow", "wet", "old", "heavy", "grey", "small", "cracked", "quiet", "bright", "dark", "empty", "rough",
  "worn", "salted", "pale", "crooked", "thin", "warm", "broken", "dry", "brass", "iron", "dim", "low", "bare",
  "steep", "faded", "square", "loose", "hollow", "damp", "blunt", "clean", "dusty", "sharp", "long",
]; // 37
const ACTIONS = [
  "lifted", "moved", "checked", "opened", "closed", "carried", "cleaned", "turned", "folded", "mended", "counted",
  "studied", "tied", "untied", "wiped", "filled", "emptied", "held", "found", "dropped", "pushed", "pulled", "oiled",
  "sorted", "wound", "tested", "fixed", "stacked", "raised", "lowered", "marked", "hung", "lit", "dried",
  "straightened", "measured", "polished", "sharpened", "weighed", "steadied", "rinsed", "propped", "touched",
]; // 43
const PLACES = [
  "kitchen", "stairs", "yard", "landing", "storeroom", "gallery", "doorway", "quay", "workbench", "hearth", "path",
  "porch", "shed", "attic", "cellar", "washhouse", "slipway", "garden", "corridor", "study", "pantry", "jetty",
  "hallway", "loft", "courtyard", "passage", "boathouse", "parlour", "scullery",
]; // 29
const PREPOSITIONS = ["in", "by", "near", "beside", "under", "behind", "across", "along", "past", "inside", "above"]; // 11
const SOUNDS = [
  "rattled", "creaked", "settled", "dripped", "hummed", "ticked", "shook", "swung", "leaned", "cooled", "dimmed",
  "sagged", "knocked", "groaned", "whistled", "clicked", "tapped", "shone", "faded", "rocked", "drummed", "stilled",
  "banged", "slid", "glowed", "hissed", "buzzed", "squeaked", "thudded", "trembled", "sang",
]; // 31
const MANNERS = [
  "slowly", "twice", "again", "carefully", "once", "quietly", "briefly", "steadily", "softly", "evenly", "unevenly",
  "gently", "firmly", "late", "early", "patiently", "absently", "stiffly", "loudly", "idly", "silently", "calmly",
  "warily",
]; // 23
const GESTURES = [
  "waited", "listened", "knelt", "frowned", "nodded", "shrugged", "laughed", "sighed", "yawned", "paused", "swallowed",
  "stretched", "hesitated", "smiled", "winced", "shivered", "blinked", "coughed", "whistled", "muttered", "stood",
  "sat", "crouched", "lingered", "watched", "rested", "wondered", "read", "wrote", "ate", "drank", "worked",
]; // 32
const TIMES = [
  "Later", "Afterwards", "Meanwhile", "Overnight", "Earlier", "Eventually", "Outside", "Inside", "Downstairs",
  "Upstairs", "Nearby", "Tonight", "Then", "Now", "Still", "Today", "Soon", "Below", "Beyond",
]; // 19
const REMARKS = [
  (noun: string) => `Leave the ${noun} where it is`,
  (noun: string) => `Is the ${noun} still there`,
  (noun: string) => `Someone moved the ${noun}`,
  (noun: string) => `We will need the ${noun} tonight`,
  (noun: string) => `Bring the ${noun} in before it rains`,
  (noun: string) => `I have seen that ${noun} before`,
  (noun: string) => `Nobody asked about the ${noun}`,
]; // 7

/** One word list, shuffled by the seed and gone through in turn. */
class Deck<T> {
  private readonly order: T[];
  private next = 0;

  constructor(items: readonly T[], random: () => number) {
    this.order = [...items];
    for (let i = this.order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [this.order[i], this.order[j]] = [this.order[j]!, this.order[i]!];
    }
  }

  draw(): T {
    const item = this.order[this.next % this.order.length]!;
    this.next++;
    return item;
  }
}

export interface PlaceholderProseOptions {
  /** The people to name: each person's names (full name first, then aliases), any of which may be used. */
  cast: readonly (readonly string[])[];
  /** Places of the book to use beside the generic ones (e.g. "Skerry Light"). */
  places?: readonly string[];
  /** Words to write, roughly (whole sentences, so it ends a few words over). */
  words: number;
  seed: number;
}

/**
 * Placeholder prose of about `options.words` words, in paragraphs of four to seven sentences. A name only
 * ever starts a sentence and is followed by two slots of long lists: a name is the least varied thing in a
 * sentence (a book has few people), and fixed words beside it would make the same five-word run come back.
 * Dialogue is free of that care: the check leaves text in quotation marks alone.
 */
export function placeholderProse(options: PlaceholderProseOptions): string {
  const random = seededRandom(options.seed);
  const cast = options.cast.filter((names) => names.length > 0);
  const people = new Deck(cast.length > 0 ? cast : [["The keeper"], ["The visitor"]], random);
  const callings = new Map<readonly string[], Deck<string>>();
  const person = (): string => {
    const names = people.draw();
    let deck = callings.get(names);
    if (!deck) callings.set(names, (deck = new Deck(names, random)));
    return deck.draw();
  };
  const noun = new Deck(NOUNS, random);
  const adjective = new Deck(ADJECTIVES, random);
  const action = new Deck(ACTIONS, random);
  const place = new Deck([...PLACES, ...(options.places ?? [])], random);
  const preposition = new Deck(PREPOSITIONS, random);
  const sound = new Deck(SOUNDS, random);
  const manner = new Deck(MANNERS, random);
  const gesture = new Deck(GESTURES, random);
  const time = new Deck(TIMES, random);
  const remark = new Deck(REMARKS, random);
  const sentences: Array<() => string> = [
    () => `${person()} ${action.draw()} the ${adjective.draw()} ${noun.draw()} ${preposition.draw()} the ${place.draw()}.`,
    () => `The ${noun.draw()} ${sound.draw()} ${manner.draw()} ${preposition.draw()} the ${place.draw()}.`,
    () => `${time.draw()}, the ${adjective.draw()} ${noun.draw()} ${sound.draw()} and the ${noun.draw()} ${sound.draw()}.`,
    () => `${capitalise(preposition.draw())} the ${place.draw()} the ${adjective.draw()} ${noun.draw()} ${sound.draw()}.`,
    () => `${person()} ${action.draw()} the ${noun.draw()}. “${remark.draw()(noun.draw())}.”`,
    () => `${person()} ${gesture.draw()} ${manner.draw()} ${preposition.draw()} the ${adjective.draw()} ${place.draw()}.`,
  ];
  const paragraphs: string[] = [];
  let words = 0;
  let turn = Math.floor(random() * sentences.length);
  while (words < options.words) {
    const length = 4 + Math.floor(random() * 4);
    const paragraph: string[] = [];
    for (let i = 0; i < length && words < options.words; i++) {
      // Mostly in turn, sometimes skipping one, so the sentence shapes do not come round like a clock.
      turn += 1 + (random() < 0.3 ? 1 : 0);
      const sentence = sentences[turn % sentences.length]!();
      paragraph.push(capitalise(sentence));
      words += sentence.split(/\s+/).length;
    }
    paragraphs.push(paragraph.join(" "));
  }
  return paragraphs.join("\n\n");
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
