import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { startFakeAnthropic, type FakeAnthropic } from "../../test/fake-anthropic/server";
import { registerEvalCommand } from "./eval";

const demoBook = fileURLToPath(new URL("../../demo/vault/The Lighthouse Keeper", import.meta.url));

async function run(...args: string[]): Promise<{ out: string; err: string; exitCode: number | undefined }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((text: string) => void out.push(text));
  const error = vi.spyOn(console, "error").mockImplementation((text: string) => void err.push(text));
  const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  const before = process.exitCode;
  process.exitCode = undefined;
  try {
    const program = new Command("bookwright").exitOverride();
    registerEvalCommand(program);
    await program.parseAsync(["eval", "continuity", ...args], { from: "user" });
    return { out: out.join("\n"), err: err.join("\n"), exitCode: process.exitCode as number | undefined };
  } finally {
    process.exitCode = before;
    log.mockRestore();
    error.mockRestore();
    stderr.mockRestore();
  }
}

describe("bookwright eval continuity", () => {
  let server: FakeAnthropic;
  beforeEach(async () => {
    server = await startFakeAnthropic({ minCacheableTokens: 50 });
  });
  afterEach(async () => {
    await server.close();
  });

  it("plants contradictions into copies of the demo book, checks every chapter and reports the score", async () => {
    const { out, exitCode } = await run(demoBook, "--count", "3", "--base-url", server.url, "--api-key", "test");
    expect(exitCode).toBeUndefined();
    // Two chapters have prose: one checker call each, with the book's own story bible in the prompt.
    expect(server.requests).toHaveLength(2);
    expect(JSON.stringify(server.requests[0]!.body.system)).toContain("Skerry Light");
    expect(out).toMatch(/^planted: 3, found: 0, recall: 0\.00$/m);
    // The fake's default reply is a minimal schema instance: one made-up finding per chapter checked.
    expect(out).toMatch(/^false alarms: 2 in [\d,]+ words = [\d.]+ per 10,000 words$/m);
    expect(out.match(/^missed /gm)).toHaveLength(3);
  });

  it("needs an API key and says where to put it", async () => {
    const saved = process.env.ANTHROPIC_API_KEY;
    delete process.env.ANTHROPIC_API_KEY;
    try {
      const { err, exitCode } = await run(demoBook, "--base-url", server.url);
      expect(err).toMatch(/no API key: set ANTHROPIC_API_KEY or pass --api-key/);
      expect(exitCode).toBe(1);
    } finally {
      if (saved !== undefined) process.env.ANTHROPIC_API_KEY = saved;
    }
  });

  it.each([["--count", "0", /--count: expected a whole number of at least 1/], ["--seed", "x", /--seed: expected a whole number/]])("rejects %s %s", async (flag, value, message) => {
    const { err, exitCode } = await run(demoBook, flag, value, "--api-key", "test", "--base-url", server.url);
    expect(err).toMatch(message);
    expect(exitCode).toBe(1);
  });
});
