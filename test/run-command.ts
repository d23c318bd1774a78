/**
 * Runs one `bookwright` command in-process, as the CLI would, and returns what it printed on the console
 * and the exit code it set. For commands that report through `console.log`/`console.error` and
 * `process.exitCode` (stats, export, series); the exit code is restored afterwards.
 */
import { Command } from "commander";
import { vi } from "vitest";

export interface CommandRun {
  out: string;
  err: string;
  exitCode: number | undefined;
}

export async function runCommand(register: (program: Command) => void, args: string[]): Promise<CommandRun> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((text: string) => void out.push(text));
  const error = vi.spyOn(console, "error").mockImplementation((text: string) => void err.push(text));
  const before = process.exitCode;
  process.exitCode = undefined;
  try {
    const program = new Command("bookwright").exitOverride();
    register(program);
    await program.parseAsync(args, { from: "user" });
    return { out: out.join("\n"), err: err.join("\n"), exitCode: process.exitCode as number | undefined };
  } finally {
    process.exitCode = before;
    log.mockRestore();
    error.mockRestore();
  }
}
