/**
 * The `bookwright` CLI as a real child process, for tests that must kill it (SIGKILL, not an in-process
 * stop) or otherwise see it from the outside.
 *
 * `bundleCli` builds companion/cli.ts once the way esbuild.config.mjs builds dist/cli.js (ESM for Node 20,
 * packages left external), into a folder of the caller's choosing; a `node_modules` link in that folder
 * lets the bundle resolve those packages from the repository. `startCli` spawns `node <bundle> …`
 * directly (no shell, no npx), so the pid it kills is the CLI itself.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { symlink } from "node:fs/promises";
import * as nodePath from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));

/** Bundles the CLI into `folder`/cli.mjs (the folder must exist) and returns the bundle's path. */
export async function bundleCli(folder: string): Promise<string> {
  const outfile = nodePath.join(folder, "cli.mjs");
  await build({
    entryPoints: [nodePath.join(repoRoot, "companion", "cli.ts")],
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    packages: "external",
    sourcemap: true,
    logLevel: "warning",
    outfile,
  });
  // Node resolves the external packages from the bundle's folder upwards.
  await symlink(nodePath.join(repoRoot, "node_modules"), nodePath.join(folder, "node_modules"), "dir");
  return outfile;
}

export interface CliExit {
  /** The exit code, or null when a signal ended the process. */
  code: number | null;
  signal: ChildProcess["signalCode"];
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  readonly child: ChildProcess;
  /** Settles when the process has exited and its output streams are closed; never rejects. */
  readonly exited: Promise<CliExit>;
  /** True once the process has exited. */
  readonly done: boolean;
  /**
   * Sends SIGKILL unless it has already exited, and resolves with how it ended. `killed` is true only when
   * the kill is what ended it: a process exiting just as the signal is sent is not killed.
   */
  kill(): Promise<CliExit & { killed: boolean }>;
}

export interface StartCliOptions {
  /** Replaces the environment entirely (pass `{ ...process.env, … }` to extend it). */
  env: Record<string, string | undefined>;
  cwd?: string;
}

/** Starts `node <bundle> <args…>`. */
export function startCli(bundle: string, args: readonly string[], options: StartCliOptions): CliProcess {
  const child = spawn(process.execPath, [bundle, ...args], {
    cwd: options.cwd ?? nodePath.dirname(bundle),
    env: options.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  let done = false;
  const exited = new Promise<CliExit>((resolve) => {
    // `close` comes after `exit` once stdio is drained; `error` when the spawn itself failed.
    child.once("close", (code, signal) => {
      done = true;
      resolve({ code, signal, stdout, stderr });
    });
    child.once("error", (error) => {
      done = true;
      resolve({ code: null, signal: null, stdout, stderr: `${stderr}\nspawn failed: ${error.message}` });
    });
  });
  return {
    child,
    exited,
    get done() {
      return done;
    },
    async kill() {
      // exitCode/signalCode are set on `exit`, before `close`: a process that has exited is not killed again.
      if (!done && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      const exit = await exited;
      return { ...exit, killed: exit.signal === "SIGKILL" };
    },
  };
}

/** Runs the CLI to the end. */
export function runCli(bundle: string, args: readonly string[], options: StartCliOptions): Promise<CliExit> {
  return startCli(bundle, args, options).exited;
}
