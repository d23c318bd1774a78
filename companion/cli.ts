/**
 * The `bookwright` command line: one program hosting every command. Each command lives in commands/ and
 * registers itself, so this file only wires. A command's module is imported only when that command runs
 * (or for help, where every command is listed): the bundle is split per command, and a start that parses
 * only what it needs is what keeps `bookwright export` quick.
 */
import { Command } from "commander";

type Register = (program: Command) => void;

const COMMANDS: Record<string, () => Promise<Register[]>> = {
  stats: async () => [(await import("./commands/stats")).registerStatsCommand],
  series: async () => [(await import("./commands/series")).registerSeriesCommand],
  import: async () => [(await import("./commands/import")).registerImportCommand],
  eval: async () => [(await import("./commands/eval")).registerEvalCommand],
  generate: async () => [(await import("./commands/generate")).registerGenerateCommand],
  queue: async () => [(await import("./commands/generate")).registerQueueCommand],
  check: async () => [(await import("./commands/check")).registerCheckCommand],
  export: async () => [(await import("./commands/export")).registerExportCommand],
  companion: async () => [(await import("./commands/companion")).registerCompanionCommand],
  demo: async () => [(await import("./commands/demo")).registerDemoCommand],
};

/** The program with `only` registered (the command being run), or every command when it is not one of ours. */
export async function buildProgram(only?: string): Promise<Command> {
  const program = new Command("bookwright")
    .description("Turn a folder of Markdown notes into a book: plan, write, check and publish it.")
    .version("0.1.0")
    .showHelpAfterError();
  const loaders = only !== undefined && only in COMMANDS ? [COMMANDS[only]!] : Object.values(COMMANDS);
  for (const load of loaders) for (const register of await load()) register(program);
  return program;
}

await (await buildProgram(process.argv[2])).parseAsync(process.argv);
