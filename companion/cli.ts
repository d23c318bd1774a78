/**
 * The `bookwright` command line: one program hosting every command (stats, import, eval, generate, queue, check;
 * export and companion arrive with their issues). Each command lives in commands/ and registers
 * itself, so this file only wires.
 */
import { Command } from "commander";
import { registerCheckCommand } from "./commands/check";
import { registerEvalCommand } from "./commands/eval";
import { registerExportCommand } from "./commands/export";
import { registerGenerateCommand, registerQueueCommand } from "./commands/generate";
import { registerImportCommand } from "./commands/import";
import { registerStatsCommand } from "./commands/stats";

export function buildProgram(): Command {
  const program = new Command("bookwright")
    .description("Turn a folder of Markdown notes into a book: plan, write, check and publish it.")
    .version("0.1.0")
    .showHelpAfterError();
  registerStatsCommand(program);
  registerImportCommand(program);
  registerEvalCommand(program);
  registerGenerateCommand(program);
  registerQueueCommand(program);
  registerCheckCommand(program);
  registerExportCommand(program);
  return program;
}

await buildProgram().parseAsync(process.argv);
