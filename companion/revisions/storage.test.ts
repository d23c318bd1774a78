import { describe, expect, it } from "vitest";
import { measureRevisionStorage, runStorageScenario } from "./storage-measure";

describe("revision storage", () => {
  it("keeps 500 small-edit revisions of a 5,000-word chapter in at most 5% of 500 copies", () => {
    const report = runStorageScenario({ revisions: 500, words: 5000, seed: 1342 });
    expect(report.revisions).toBe(500);
    // ~5,000 words of the novel (paragraph lines), and the database holds far fewer whole copies than revisions.
    expect(report.chapterBytes).toBeGreaterThan(25_000);
    expect(report.keyframes + report.deltas).toBeGreaterThan(480);
    expect(report.keyframes).toBeLessThanOrEqual(Math.ceil(500 / 50) + 1);
    expect(report.fileBytes).toBeGreaterThan(0);
    expect(report.ratio).toBe(report.fileBytes / (report.chapterBytes * 500));
    expect(report.ratio).toBeLessThanOrEqual(0.05);
  });

  it("measureRevisionStorage returns the scenario's ratio", () => {
    const ratio = measureRevisionStorage({ revisions: 60, words: 1000, seed: 3 });
    const again = runStorageScenario({ revisions: 60, words: 1000, seed: 3 });
    expect(again.revisions).toBe(60);
    // Revision ids are random, so index pages may split differently: the same within a few pages.
    expect(Math.abs(ratio - again.ratio)).toBeLessThanOrEqual((4 * 4096) / (again.chapterBytes * 60));
    expect(ratio).toBeGreaterThan(0);
  });
});
