/**
 * The kind and pixel size of an image from its first bytes, for the formats every export can carry
 * (JPEG, PNG, GIF). Exports need the size to scale a picture to the page; reading it from the header
 * means no image library, and nothing that needs Node or a DOM.
 */

export type ImageType = "image/jpeg" | "image/png" | "image/gif";

export interface ImageInfo {
  mediaType: ImageType;
  width: number;
  height: number;
}

export const IMAGE_EXTENSIONS: Record<ImageType, string> = { "image/jpeg": "jpg", "image/png": "png", "image/gif": "gif" };

/** The image's type and size, or null when the bytes are not a JPEG, PNG or GIF this can read. */
export function imageInfo(bytes: Uint8Array): ImageInfo | null {
  if (bytes.length >= 24 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) {
    return sized("image/png", readUint32(bytes, 16), readUint32(bytes, 20));
  }
  if (bytes.length >= 10 && bytes[0] === 0x47 && bytes[1] === 0x49 && bytes[2] === 0x46) {
    return sized("image/gif", bytes[6]! | (bytes[7]! << 8), bytes[8]! | (bytes[9]! << 8));
  }
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8) return jpegInfo(bytes);
  return null;
}

function sized(mediaType: ImageType, width: number, height: number): ImageInfo | null {
  return width > 0 && height > 0 ? { mediaType, width, height } : null;
}

function readUint32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

/** Walks the JPEG's segments to the first start-of-frame marker, which holds the size. */
function jpegInfo(bytes: Uint8Array): ImageInfo | null {
  let at = 2;
  while (at + 9 < bytes.length) {
    if (bytes[at] !== 0xff) return null;
    const marker = bytes[at + 1]!;
    if (marker === 0xff) {
      at++;
      continue;
    }
    const length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
    // SOF0–SOF15, except DHT (C4), JPG (C8) and DAC (CC), which share the range.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return sized("image/jpeg", (bytes[at + 7]! << 8) | bytes[at + 8]!, (bytes[at + 5]! << 8) | bytes[at + 6]!);
    }
    at += 2 + length;
  }
  return null;
}

/** A picture without alt text is named by its file: `Art/Map_of the-island.png` → `Map of the island`. */
export function pictureName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1).replace(/\.[^.]+$/, "").replace(/[_-]+/g, " ").trim() || "Picture";
}
