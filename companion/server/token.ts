/**
 * The companion's bearer token: 256 random bits as 64 hex digits, kept in a file only its owner can read
 * (mode 0600), which the plugin reads to talk to the companion. Made once; later starts reuse it.
 */
import { randomBytes } from "node:crypto";
import { constants as fsConstants } from "node:fs";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as nodePath from "node:path";

/** The token file's name inside {@link companionConfigDir}. */
export const TOKEN_FILE_NAME = "companion-token";

const TOKEN_PATTERN = /^[0-9a-f]{64}$/;

export interface LoadedToken {
  token: string;
  /** True when this call made the file. */
  created: boolean;
}

/**
 * Reads the token in `file`, or makes one there when there is none. The file is written whole to a temp
 * file (mode 0600) and then hard-linked into place, so it never exists half-written and two companions
 * starting at once agree on one token. An existing file is refused, with a message saying what to do,
 * when it is a symbolic link, is not owned by this user, or (on POSIX) can be read or written by others.
 */
export async function loadOrCreateToken(file: string): Promise<LoadedToken> {
  const target = nodePath.resolve(file);
  const folder = nodePath.dirname(target);
  await fs.mkdir(folder, { recursive: true, mode: 0o700 });
  const token = randomBytes(32).toString("hex");
  const temp = nodePath.join(folder, `.${TOKEN_FILE_NAME}-${randomBytes(8).toString("hex")}.tmp`);
  const handle = await fs.open(temp, "wx", 0o600);
  try {
    try {
      // The umask can only narrow the mode; chmod makes sure of it anyway.
      await handle.chmod(0o600);
      await handle.writeFile(token, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await fs.link(temp, target);
      return { token, created: true };
    } catch (error) {
      if (isCode(error, "EEXIST")) {
        // Someone made it first (or it was there all along): read theirs below.
      } else if (isCode(error, "EPERM") || isCode(error, "ENOTSUP") || isCode(error, "EOPNOTSUPP")) {
        // A file system without hard links (FAT, some network shares): an exclusive copy still never
        // replaces a token, though a racing reader could see it half-written.
        try {
          await fs.copyFile(temp, target, fsConstants.COPYFILE_EXCL);
          return { token, created: true };
        } catch (copyError) {
          if (!isCode(copyError, "EEXIST")) throw copyError;
        }
      } else {
        throw error;
      }
    }
  } finally {
    await fs.rm(temp, { force: true });
  }
  return { token: await readExistingToken(target), created: false };
}

async function readExistingToken(file: string): Promise<string> {
  const symlink = `The companion token file ${file} is a symbolic link; refusing to use it. Delete it and start the companion again to make a new token.`;
  // O_NOFOLLOW where there is one, and the checks on the opened file itself, so nothing can be swapped
  // in between checking and reading.
  const noFollow = (fsConstants.O_NOFOLLOW as number | undefined) ?? 0;
  if (noFollow === 0 && (await fs.lstat(file)).isSymbolicLink()) throw new Error(symlink);
  const handle = await fs.open(file, fsConstants.O_RDONLY | noFollow).catch((error: unknown) => {
    throw isCode(error, "ELOOP") ? new Error(symlink) : error;
  });
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new Error(`The companion token file ${file} is not a regular file; remove it and start the companion again.`);
    if (process.platform !== "win32") {
      const uid = process.getuid?.();
      if (uid !== undefined && stats.uid !== uid) {
        throw new Error(`The companion token file ${file} belongs to another user (uid ${stats.uid}); refusing to use it. Delete it and start the companion again to make a new token.`);
      }
      const mode = stats.mode & 0o7777;
      // Anything beyond owner read and write (group or other bits, execute, setuid) is wider than 0600.
      if ((mode & ~0o600) !== 0) {
        throw new Error(
          `The companion token file ${file} has mode ${mode.toString(8).padStart(4, "0")}, wider than 0600` +
            `${(mode & 0o077) !== 0 ? " (other users can reach it)" : ""}; refusing to use it. ` +
            `Run \`chmod 600 '${file}'\`, or delete it to make a new token.`,
        );
      }
    }
    const token = (await handle.readFile("utf8")).trim();
    if (!TOKEN_PATTERN.test(token)) {
      throw new Error(`The companion token file ${file} does not hold a token (64 hex digits); delete it and start the companion again to make a new one.`);
    }
    return token;
  } finally {
    await handle.close();
  }
}

export interface ConfigDirEnvironment {
  platform?: typeof process.platform;
  env?: Record<string, string | undefined>;
  home?: string;
}

/**
 * Where the companion keeps its settings and token: `$XDG_CONFIG_HOME/bookwright` (or
 * `~/.config/bookwright`) on Linux and other Unixes, `~/Library/Application Support/Bookwright` on macOS,
 * `%APPDATA%\Bookwright` on Windows.
 */
export function companionConfigDir(from: ConfigDirEnvironment = {}): string {
  const platform = from.platform ?? process.platform;
  const env = from.env ?? process.env;
  const home = from.home ?? os.homedir();
  if (platform === "win32") {
    const appData = env.APPDATA;
    return nodePath.win32.join(appData !== undefined && appData !== "" ? appData : nodePath.win32.join(home, "AppData", "Roaming"), "Bookwright");
  }
  if (platform === "darwin") return nodePath.posix.join(home, "Library", "Application Support", "Bookwright");
  const xdg = env.XDG_CONFIG_HOME;
  // The XDG spec says a relative value is invalid and must be ignored.
  if (xdg !== undefined && nodePath.posix.isAbsolute(xdg)) return nodePath.posix.join(xdg, "bookwright");
  return nodePath.posix.join(home, ".config", "bookwright");
}

/** The token file's path: {@link TOKEN_FILE_NAME} in {@link companionConfigDir}. */
export function companionTokenFile(from: ConfigDirEnvironment = {}): string {
  const dir = companionConfigDir(from);
  return (from.platform ?? process.platform) === "win32" ? nodePath.win32.join(dir, TOKEN_FILE_NAME) : nodePath.posix.join(dir, TOKEN_FILE_NAME);
}

function isCode(error: unknown, code: string): boolean {
  return typeof error === "object" && error !== null && "code" in error && error.code === code;
}
