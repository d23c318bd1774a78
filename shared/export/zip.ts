/**
 * A small ZIP writer for the exports (EPUB and DOCX are ZIP files). fflate's zipSync does the job, but
 * its deflate is JavaScript, and on a whole novel compressing one cold was the largest single cost of a
 * Word export. So the deflate step is a port: fflate by default (it runs everywhere, Obsidian mobile
 * included), and a host with a native one (Node's zlib, in the CLI) hands it over with `useDeflateRaw`.
 *
 * Only what the formats need: deflated or stored entries, UTF-8 names, one timestamp, no ZIP64 (an
 * export of gigabytes is not a book).
 */
import { deflateSync } from "fflate";

export interface ZipEntry {
  name: string;
  data: Uint8Array;
  /** Stored as is: EPUB's `mimetype` must be, and pictures gain nothing from deflating. */
  store?: boolean;
}

type DeflateRaw = (data: Uint8Array) => Uint8Array;

/** fflate's raw deflate, which runs anywhere. */
export const portableDeflateRaw: DeflateRaw = (data) => deflateSync(data, { level: 6 });

let deflateRaw: DeflateRaw = portableDeflateRaw;

/** Replaces the raw-deflate function every later export uses (output must be raw DEFLATE, RFC 1951). */
export function useDeflateRaw(fn: DeflateRaw): void {
  deflateRaw = fn;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = CRC_TABLE[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** MS-DOS date and time, in UTC so the same export is the same bytes on every machine. */
function dosDateTime(date: Date): { time: number; date: number } {
  const year = Math.min(Math.max(date.getUTCFullYear(), 1980), 2107);
  return {
    time: (date.getUTCHours() << 11) | (date.getUTCMinutes() << 5) | Math.floor(date.getUTCSeconds() / 2),
    date: ((year - 1980) << 9) | ((date.getUTCMonth() + 1) << 5) | date.getUTCDate(),
  };
}

/** The entries as one ZIP file, in the order given. */
export function zipFiles(entries: ZipEntry[], modified: Date): Uint8Array {
  const encoder = new TextEncoder();
  const { time, date } = dosDateTime(modified);
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = encoder.encode(entry.name);
    const deflated = entry.store ? null : deflateRaw(entry.data);
    // Deflate can grow incompressible data; then the entry is stored instead.
    const method = deflated !== null && deflated.length < entry.data.length ? 8 : 0;
    const body = method === 8 ? deflated! : entry.data;
    const crc = crc32(entry.data);
    const local = new Uint8Array(30 + name.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(6, 0x0800, true); // UTF-8 names
    lv.setUint16(8, method, true);
    lv.setUint16(10, time, true);
    lv.setUint16(12, date, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, body.length, true);
    lv.setUint32(22, entry.data.length, true);
    lv.setUint16(26, name.length, true);
    local.set(name, 30);
    const record = new Uint8Array(46 + name.length);
    const cv = new DataView(record.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(8, 0x0800, true);
    cv.setUint16(10, method, true);
    cv.setUint16(12, time, true);
    cv.setUint16(14, date, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, body.length, true);
    cv.setUint32(24, entry.data.length, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, offset, true);
    record.set(name, 46);
    parts.push(local, body);
    central.push(record);
    offset += local.length + body.length;
  }
  const centralSize = central.reduce((sum, r) => sum + r.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, entries.length, true);
  ev.setUint16(10, entries.length, true);
  ev.setUint32(12, centralSize, true);
  ev.setUint32(16, offset, true);
  const out = new Uint8Array(offset + centralSize + end.length);
  let at = 0;
  for (const part of [...parts, ...central, end]) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
