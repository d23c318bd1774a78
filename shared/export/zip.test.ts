import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { deflateRawSync } from "node:zlib";
import { strFromU8, strToU8, unzipSync } from "fflate";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { crc32, portableDeflateRaw, useDeflateRaw, zipFiles } from "./zip";

const run = promisify(execFile);
const MODIFIED = new Date("2024-05-01T12:34:56Z");

afterEach(() => {
  useDeflateRaw(portableDeflateRaw);
});

describe("zipFiles", () => {
  it("round-trips any entries through fflate's reader, with either deflate", () => {
    for (const native of [false, true]) {
      if (native) useDeflateRaw((data) => deflateRawSync(data, { level: 6 }));
      fc.assert(
        fc.property(fc.uniqueArray(fc.record({ name: fc.stringMatching(/^[a-zé/]{1,12}\.x$/), data: fc.uint8Array({ maxLength: 3000 }), store: fc.boolean() }), { selector: (e) => e.name, maxLength: 6 }), (entries) => {
          const files = unzipSync(zipFiles(entries, MODIFIED));
          expect(Object.keys(files)).toEqual(entries.map((e) => e.name));
          for (const e of entries) expect(files[e.name]).toEqual(e.data);
        }),
        { numRuns: 100 },
      );
    }
  });

  it("stores the first entry uncompressed at offset 0 when asked (EPUB's mimetype), and uses UTC times", () => {
    const zip = zipFiles([{ name: "mimetype", data: strToU8("application/epub+zip"), store: true }, { name: "a.txt", data: strToU8("hello ".repeat(100)) }], MODIFIED);
    expect(strFromU8(zip.subarray(30, 38))).toBe("mimetype");
    expect(strFromU8(zip.subarray(38, 58))).toBe("application/epub+zip");
    const view = new DataView(zip.buffer, zip.byteOffset);
    expect(view.getUint16(8, true)).toBe(0);
    expect(view.getUint16(10, true)).toBe((12 << 11) | (34 << 5) | 28);
    expect(view.getUint16(12, true)).toBe(((2024 - 1980) << 9) | (5 << 5) | 1);
  });

  it("computes the standard CRC-32", () => {
    expect(crc32(strToU8("123456789"))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array())).toBe(0);
  });

  it("passes Info-ZIP's own test when unzip is installed", async (context) => {
    try {
      await run("unzip", ["-v"]);
    } catch {
      context.skip();
    }
    const dir = await mkdtemp(path.join(os.tmpdir(), "bookwright-zip-"));
    try {
      const file = path.join(dir, "t.zip");
      await writeFile(file, zipFiles([{ name: "ünïcode/name.txt", data: strToU8("text ".repeat(500)) }, { name: "b.bin", data: new Uint8Array([1, 2, 3]), store: true }], MODIFIED));
      const { stdout } = await run("unzip", ["-t", file]);
      expect(stdout).toMatch(/No errors detected/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
