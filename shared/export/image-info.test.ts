import { describe, expect, it } from "vitest";
import { FIXTURE_JPEG } from "../testing/export-fixture";
import { imageInfo } from "./image-info";

const bytes = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));

describe("imageInfo", () => {
  it("reads the type and pixel size of a PNG, a JPEG and a GIF from their headers", () => {
    expect(imageInfo(bytes("iVBORw0KGgoAAAANSUhEUgAAAAYAAAAECAIAAAAiZtkUAAAAOklEQVR4nBXKQRHAMAwEsYNjEAYROIJjEAYRWE33qdkkKk6IiRtJq3aaNu32I4rjb7jvzqp1ljXrrg+okR0R52djAgAAAABJRU5ErkJggg=="))).toEqual({ mediaType: "image/png", width: 6, height: 4 });
    expect(imageInfo(bytes(FIXTURE_JPEG))).toEqual({ mediaType: "image/jpeg", width: 16, height: 16 });
    expect(imageInfo(bytes("R0lGODlhAwACAIAAAP///wAAACwAAAAAAwACAAACAoRRADs="))).toEqual({ mediaType: "image/gif", width: 3, height: 2 });
  });

  it("refuses what it cannot read: other formats, truncated headers, a zero size", () => {
    expect(imageInfo(new TextEncoder().encode("<svg xmlns='http://www.w3.org/2000/svg'/>"))).toBeNull();
    expect(imageInfo(new Uint8Array([0xff, 0xd8, 0xff]))).toBeNull();
    expect(imageInfo(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a]))).toBeNull();
    expect(imageInfo(bytes("R0lGODlhAAAAAIAAAP///wAAACwAAAAAAwACAAACAoRRADs="))).toBeNull();
  });
});
