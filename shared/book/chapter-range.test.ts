import { describe, expect, it } from "vitest";
import { readChapterRange } from "./chapter-range";

describe("readChapterRange", () => {
  it.each([
    ["1-7", [1, 2, 3, 4, 5, 6, 7]],
    ["3", [3]],
    ["1,4,6-9", [1, 4, 6, 7, 8, 9]],
    [" 5 , 2–3 ,3", [2, 3, 5]],
    ["2—4", [2, 3, 4]],
    ["1,,2", [1, 2]],
  ])("%s", (text, chapters) => {
    expect(readChapterRange(text)).toEqual({ chapters });
  });

  it.each([
    ["", { reason: "empty" }],
    [" , ", { reason: "empty" }],
    ["abc", { reason: "not-a-range", part: "abc" }],
    ["1,x-3", { reason: "not-a-range", part: "x-3" }],
    ["0-2", { reason: "below-one", part: "0-2" }],
    ["5-2", { reason: "backwards", part: "5-2", from: 5, to: 2 }],
  ])("refuses %j", (text, problem) => {
    expect(readChapterRange(text)).toEqual({ problem });
  });

  it("counts against the limit per part and in all", () => {
    expect(readChapterRange("1-10", 5)).toEqual({ problem: { reason: "too-many", part: "1-10", max: 5 } });
    expect(readChapterRange("1-3, 5-7", 5)).toEqual({ problem: { reason: "too-many", part: "1-3, 5-7", max: 5 } });
  });
});
