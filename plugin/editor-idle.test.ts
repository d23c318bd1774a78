// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from "vitest";
import { App, Plugin } from "obsidian";
import { EditorIdle } from "./editor-idle";

class TestPlugin extends Plugin {}

afterEach(() => {
  vi.useRealTimers();
});

describe("EditorIdle", () => {
  it("holds a write back until the note has been still for the quiet time", async () => {
    vi.useFakeTimers();
    const app = new App();
    const plugin = new TestPlugin(app, { id: "t", name: "T", version: "1", minAppVersion: "1", author: "", description: "" });
    const idle = new EditorIdle(plugin, { quietMs: 3000, now: () => Date.now() });
    // Only the path is read from the event's file.
    const file = { path: "Book/Chapters/01.md" };
    app.workspace.trigger("editor-change", {}, { file });
    let done = false;
    void idle.whenIdle(file.path).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(2000);
    expect(done).toBe(false);
    // More typing restarts the quiet time.
    app.workspace.trigger("editor-change", {}, { file });
    await vi.advanceTimersByTimeAsync(2500);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1000);
    expect(done).toBe(true);
  });

  it("does not wait for a note nobody is typing in, and gives up after the longest wait", async () => {
    vi.useFakeTimers();
    const app = new App();
    const plugin = new TestPlugin(app, { id: "t", name: "T", version: "1", minAppVersion: "1", author: "", description: "" });
    const idle = new EditorIdle(plugin, { quietMs: 3000, maxWaitMs: 10_000, now: () => Date.now() });
    await expect(idle.whenIdle("Book/Other.md")).resolves.toBeUndefined();
    idle.touched("Book/Busy.md");
    let done = false;
    void idle.whenIdle("Book/Busy.md").then(() => (done = true));
    const typing = window.setInterval(() => idle.touched("Book/Busy.md"), 1000);
    await vi.advanceTimersByTimeAsync(9000);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(2000);
    expect(done).toBe(true);
    window.clearInterval(typing);
  });
});
