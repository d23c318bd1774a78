import { describe, expect, it } from "vitest";
import { withTimelineSection } from "../../shared/queue/book-notes";
import { buildTimeline, parseTimeline, parseWhen, placeOf, storyOrder, type StoryTime } from "./timeline-model";

type Events = Parameters<typeof withTimelineSection>[3];
const ev = (when: string, what: string, who: string[] = []): Events[number] => ({ when, what, who, order: 0 });

/** A timeline note as the Timeline agent's jobs leave it: written through withTimelineSection, chapter by chapter. */
function note(sections: [number, Events][], preamble = "# Timeline\n"): string {
  let body = preamble;
  for (const [chapter, events] of sections) {
    body = withTimelineSection(body, chapter, `Book/Chapters/${String(chapter).padStart(2, "0")} C${chapter}.md`, events.map((e, order) => ({ ...e, order })));
  }
  return `---\nbookwright: timeline\n---\n${body}`;
}

const BOOK = note(
  [
    [5, [ev("3 November 1893, evening", "Mara dines at the inn in Portree", ["Mara Quill"]), ev("Sunday", "The bells ring")]],
    [1, [ev("1 November 1893, morning", "Jon brings the letter", ["Jon Harrow", "Mara Quill"]), ev("the next morning", "Mara hides the letter in the lamp room", ["Mara Quill"])]],
    [2, [ev("Late October", "The storm wrecks the boat", ["Jon Harrow"])]],
    [3, [ev("1880 (flashback)", "Mara's father drowns", ["Mara Quill"]), ev("Years earlier", "The light is built")]],
    [4, [ev("3 November 1893, evening", "Mara is at the lighthouse", ["Mara Quill"]), ev("3 November 1893", "Jon sails home", ["Jon Harrow"])]],
  ],
  "# Timeline\n\n- **Autumn 1893** — The keeper's post falls vacant\n",
);

describe("parseTimeline", () => {
  it("reads the sections book-notes writes, in chapter order, with the writer's lines as the start", () => {
    const events = parseTimeline(BOOK);
    expect(events.map((e) => [e.id, e.chapter, e.when])).toEqual([
      [0, 0, "Autumn 1893"],
      [1, 1, "1 November 1893, morning"],
      [2, 1, "the next morning"],
      [3, 2, "Late October"],
      [4, 3, "1880 (flashback)"],
      [5, 3, "Years earlier"],
      [6, 4, "3 November 1893, evening"],
      [7, 4, "3 November 1893"],
      [8, 5, "3 November 1893, evening"],
      [9, 5, "Sunday"],
    ]);
    expect(events[1]).toMatchObject({ chapterStem: "01 C1", what: "Jon brings the letter", who: ["Jon Harrow", "Mara Quill"], flashback: false });
    expect(events[9]).toMatchObject({ what: "The bells ring", who: [], time: null });
    expect(events.filter((e) => e.flashback).map((e) => e.id)).toEqual([4, 5]);
  });

  it("reads CRLF notes and keeps the writer's headings out of the events", () => {
    const edited = `${BOOK}\n## Notes\n\n- not an event\n`.replace(/\n/g, "\r\n");
    expect(parseTimeline(edited)).toHaveLength(10);
  });
});

describe("parseWhen", () => {
  const day = (y: number, m: number, d: number) => Date.UTC(y, m, d) / 86_400_000;
  const at = (when: string, context = {}) => parseWhen(when, context)?.time ?? null;

  it("places calendar dates, in any of the usual spellings, with the time of day when given", () => {
    const first = { scale: "date", start: day(1893, 10, 1), end: day(1893, 10, 2), precise: false };
    expect(at("1 November 1893")).toEqual(first);
    expect(at("November 1st, 1893")).toEqual(first);
    expect(at("1893-11-01")).toEqual(first);
    const evening = at("1 November 1893, evening")!;
    expect(evening.precise).toBe(true);
    expect(evening.start).toBeGreaterThan(first.start + 0.5);
    expect(at("1 Nov 1893, 10 pm")!.start).toBeCloseTo(first.start + 22 / 24);
  });

  it("places coarse times as ranges, taking a missing year from the story, the next one at the turn of a year", () => {
    expect(at("Late October", { year: 1893 })).toEqual({ scale: "date", start: day(1893, 9, 21), end: day(1893, 10, 1), precise: false, inferred: true });
    expect(at("Late October")).toBeNull();
    expect(at("Autumn 1893")).toMatchObject({ start: day(1893, 8, 1), end: day(1893, 11, 1) });
    expect(at("1893")).toMatchObject({ start: day(1893, 0, 1), end: day(1894, 0, 1) });
    const december = at("30 December 1893")!;
    expect(at("2 January", { year: 1893, previous: december })).toMatchObject({ start: day(1894, 0, 2), inferred: true });
    expect(parseWhen("2 January", { year: 1893, previous: december })?.year).toBe(1894);
  });

  it("places the story's own days, and phrases relative to the event before", () => {
    const day3 = at("Day 3, evening")!;
    expect(day3).toMatchObject({ scale: "day", precise: true });
    expect(Math.floor(day3.start)).toBe(3);
    const previous: StoryTime = { scale: "date", start: day(1893, 10, 1) + 0.33, end: day(1893, 10, 1) + 0.41, precise: true };
    expect(at("the next morning", { previous })).toMatchObject({ start: day(1893, 10, 2) + 0.33, derived: true });
    expect(at("three days later", { previous })).toMatchObject({ start: day(1893, 10, 4), end: day(1893, 10, 5), derived: true });
    expect(at("moments later", { previous })).toMatchObject({ start: previous.start, end: previous.end, derived: true });
    expect(at("that night", { previous })!.start).toBeCloseTo(day(1893, 10, 1) + 0.87);
  });

  it("leaves what it cannot place", () => {
    expect(at("Monday")).toBeNull();
    expect(at("the night of the storm")).toBeNull();
    expect(at("the next morning")).toBeNull();
    expect(at("when she may leave", { year: 1893 })).toBeNull();
    expect(at("")).toBeNull();
  });
});

describe("placeOf", () => {
  it("finds plainly stated places and skips times and manners", () => {
    expect(placeOf("Mara is at the lighthouse")).toBe("lighthouse");
    expect(placeOf("Mara dines at the inn in Portree")).toBe("inn");
    expect(placeOf("In the morning Jon waits on the Skerry pier")).toBe("skerry pier");
    expect(placeOf("Mara weeps in silence")).toBeNull();
    expect(placeOf("Jon sails home")).toBeNull();
  });
});

describe("story order and chapter order", () => {
  it("puts ranked events by story time and keeps the rest after the event before them", () => {
    const timeline = buildTimeline(BOOK);
    expect(timeline.events.map((e) => e.id)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(timeline.storyOrder.map((e) => e.id)).toEqual([
      4, // 1880, a flashback: first in story time
      0, // Autumn 1893 (from 1 September)
      3, // Late October
      5, // "Years earlier": unplaced, stays after the event before it in chapter order
      1, // 1 November, morning
      2, // the next morning
      7, // 3 November (the whole day)
      6, // 3 November, evening (chapter 4)
      8, // 3 November, evening (chapter 5)
      9, // Sunday: unplaced, after chapter 5's evening
    ]);
  });

  it("keeps chapter order among events on another scale or with equal times", () => {
    const events = parseTimeline(note([[1, [ev("Day 2", "b")]], [2, [ev("Day 1", "a"), ev("1 May 1893", "c")]], [3, [ev("Day 1", "d")]]]));
    expect(storyOrder(events).map((e) => e.what)).toEqual(["a", "c", "d", "b"]);
  });
});

describe("contradictions", () => {
  it("flags a date that goes back across chapters without being a flashback, citing the stated time", () => {
    const { contradictions } = buildTimeline(BOOK);
    expect(contradictions.filter((c) => c.kind === "backwards")).toEqual([
      { kind: "backwards", event: 3, other: 1, reason: '"Late October" (chapter 2) is before "1 November 1893, morning" (chapter 1), but is not marked as a flashback.' },
    ]);
  });

  it("flags a character in two places at one time, and not at different times of one day", () => {
    const { contradictions } = buildTimeline(BOOK);
    expect(contradictions.filter((c) => c.kind === "two-places")).toEqual([
      { kind: "two-places", event: 8, other: 6, reason: 'Mara Quill is in two places at the same time ("3 November 1893, evening"): "inn" here and "lighthouse" in chapter 4.' },
    ]);
    const apart = buildTimeline(note([[1, [ev("3 May 1893, morning", "Mara is at the lighthouse", ["Mara"])]], [2, [ev("3 May 1893, evening", "Mara is at the inn", ["Mara"])]]]));
    expect(apart.contradictions).toEqual([]);
  });

  it("takes the same words for the time as one time only within a chapter", () => {
    const same = (chapters: [number, Events][]) => buildTimeline(note(chapters)).contradictions.map((c) => c.kind);
    expect(same([[1, [ev("The night of the storm", "Jon is at the pier", ["Jon"]), ev("The night of the storm", "Jon is in the lamp room", ["Jon"])]]])).toEqual(["two-places"]);
    expect(same([[1, [ev("That evening", "Jon is at the pier", ["Jon"])]], [2, [ev("That evening", "Jon is in the lamp room", ["Jon"])]]])).toEqual([]);
  });
});
