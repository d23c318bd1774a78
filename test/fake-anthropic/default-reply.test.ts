import { describe, expect, it } from "vitest";
import { defaultReplyText, lastUserText, namesIn, prose } from "./default-reply";

describe("namesIn", () => {
  it("takes wiki links (without alias or heading) first, then capitalised names that are not sentence starters", () => {
    const prompt = "Write chapter 4. [[Mara Quill|Mara]] visits [[Saltmarsh#History]]. The Harbourmaster and Tobias Wren argue. It rains.";
    expect(namesIn(prompt)).toEqual(["Mara Quill", "Saltmarsh", "Harbourmaster", "Tobias Wren"]);
  });

  it("returns nothing for a prompt without names", () => {
    expect(namesIn("Write the next scene. Make it short.")).toEqual([]);
  });
});

describe("lastUserText", () => {
  it("joins the text blocks and tool results of the last user message", () => {
    const body = {
      messages: [
        { role: "user", content: "first" },
        { role: "assistant", content: "reply" },
        { role: "user", content: [{ type: "text", text: "second" }, { type: "tool_result", tool_use_id: "t", content: [{ type: "text", text: "result" }] }] },
      ],
    };
    expect(lastUserText(body)).toBe("second\nresult");
  });
});

describe("default reply", () => {
  it("is deterministic, names the cast, and stays within 90% of max_tokens", () => {
    const body = { max_tokens: 500, messages: [{ role: "user", content: "Continue with [[Elspeth]] and Tobias." }] };
    const reply = defaultReplyText(body);
    expect(defaultReplyText(body)).toBe(reply);
    expect(reply).toContain("Elspeth");
    expect(reply).toContain("Tobias");
    expect(reply.length).toBeLessThanOrEqual(500 * 0.9 * 4);
    expect(reply).toContain("\n\n");
  });

  it("still says something at max_tokens 1", () => {
    expect(defaultReplyText({ max_tokens: 1, messages: [{ role: "user", content: "Hi" }] }).length).toBeGreaterThan(0);
  });

  it("prose is cut at a word boundary", () => {
    const text = prose(["Mara"], 100, "seed");
    expect(text.length).toBeLessThanOrEqual(100);
    expect(text.endsWith(" ")).toBe(false);
  });
});
