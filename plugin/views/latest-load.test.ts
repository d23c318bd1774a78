// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from "vitest";
import { LatestLoad } from "./latest-load";

afterEach(() => {
  vi.useRealTimers();
});

/** A promise and the function that resolves it. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = () => undefined as void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe("LatestLoad", () => {
  it("lets only the latest load draw, even when an older one finishes last", async () => {
    const loads = new LatestLoad(100);
    const drawn: string[] = [];
    const slow = gate();
    const first = loads.start(async (current) => {
      await slow.promise;
      if (current()) drawn.push("old book");
    });
    const second = loads.start(async (current) => {
      if (current()) drawn.push("new book");
      return Promise.resolve();
    });
    await second;
    slow.open();
    await first;
    await loads.whenIdle();
    expect(drawn).toEqual(["new book"]);
  });

  it("draws nothing into a closed view, and runs nothing until it opens again", async () => {
    const loads = new LatestLoad(100);
    const drawn: string[] = [];
    const slow = gate();
    const running = loads.start(async (current) => {
      await slow.promise;
      if (current()) drawn.push("late");
    });
    loads.close();
    slow.open();
    await running;
    let ran = false;
    await loads.start(() => {
      ran = true;
      return Promise.resolve();
    });
    expect([drawn, ran]).toEqual([[], false]);
    loads.open();
    await loads.start(() => {
      ran = true;
      return Promise.resolve();
    });
    expect(ran).toBe(true);
  });

  it("turns a burst of changes into one reload after the quiet time, and drops it on close", async () => {
    vi.useFakeTimers();
    const loads = new LatestLoad(300);
    let reloads = 0;
    for (let i = 0; i < 5; i++) {
      loads.schedule(() => reloads++);
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(reloads).toBe(0);
    await vi.advanceTimersByTimeAsync(300);
    expect(reloads).toBe(1);
    loads.schedule(() => reloads++);
    loads.close();
    await vi.advanceTimersByTimeAsync(1000);
    expect(reloads).toBe(1);
  });
});
