import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  decodeDepthFrame,
  DepthFrameError,
  hasRandomWeights,
  isCompressed,
  isMetric,
  parseHeader,
  sampleToDepth,
} from "../src/net/header";
import { DEPTH_HEADER_BYTES, HEADER_OFFSETS } from "../src/net/protocol";

interface FixtureFrame {
  base64: string;
  header: {
    frame_index: number;
    pts_us: number;
    width: number;
    height: number;
    payload_bytes: number;
    scale: number;
    bias: number;
    flags: number;
    encoding: number;
    generation: number;
  };
  samples: number[];
}

const fixture = JSON.parse(
  readFileSync(fileURLToPath(new URL("./fixtures/depth_frames.json", import.meta.url)), "utf8"),
) as { frames: FixtureFrame[] };

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const out = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(out).set(bytes);
  return out;
}

function bufferOf(frame: FixtureFrame): ArrayBuffer {
  return toArrayBuffer(Uint8Array.from(Buffer.from(frame.base64, "base64")));
}

describe("depth frame header (fixture packed by the Python server code)", () => {
  it("has frames, one of them compressed", () => {
    expect(fixture.frames.length).toBeGreaterThanOrEqual(2);
    expect(fixture.frames.some((f) => (f.header.flags & 1) !== 0)).toBe(true);
  });

  for (const [i, frame] of fixture.frames.entries()) {
    it(`frame ${i}: every header field matches`, () => {
      const header = parseHeader(bufferOf(frame));
      for (const [key, value] of Object.entries(frame.header)) {
        expect(header[key as keyof typeof header], key).toBe(value);
      }
      expect(header.version).toBe(1);
      expect(header.header_bytes).toBe(DEPTH_HEADER_BYTES);
    });

    it(`frame ${i}: samples match${(frame.header.flags & 1) !== 0 ? " (inflated)" : ""}`, async () => {
      const decoded = await decodeDepthFrame(bufferOf(frame));
      expect(decoded.samples.length).toBe(frame.header.width * frame.header.height);
      expect(Array.from(decoded.samples)).toEqual(frame.samples);
      expect(isCompressed(decoded.header)).toBe((frame.header.flags & 1) !== 0);
      expect(isMetric(decoded.header)).toBe((frame.header.flags & 2) !== 0);
      expect(hasRandomWeights(decoded.header)).toBe((frame.header.flags & 4) !== 0);
    });
  }

  it("decodes the worked example of docs/PROTOCOL.md", async () => {
    const hex = `
      44 43 44 46 01 00 30 00  2a 00 00 00 02 00 01 00
      c0 5c 15 00 00 00 00 00  02 00 02 00 08 00 00 00
      80 00 80 38 00 00 80 3f  03 00 00 00 00 00 00 00
      00 00 00 40 00 80 ff ff`;
    const bytes = Uint8Array.from(hex.trim().split(/\s+/).map((b) => parseInt(b, 16)));
    const { header, samples } = await decodeDepthFrame(toArrayBuffer(bytes));
    expect(header.frame_index).toBe(42);
    expect(header.pts_us).toBe(1_400_000);
    expect(header.generation).toBe(3);
    expect(isMetric(header)).toBe(true);
    expect(Array.from(samples)).toEqual([0, 16384, 32768, 65535]);
    const depths = Array.from(samples, (s) => sampleToDepth(header, s));
    expect(depths[0]).toBeCloseTo(1, 6);
    expect(depths[1]).toBeCloseTo(2, 3);
    expect(depths[2]).toBeCloseTo(3, 3);
    expect(depths[3]).toBeCloseTo(5, 5);
  });

  it("views an uncompressed payload without copying", async () => {
    const buffer = bufferOf(fixture.frames.find((f) => (f.header.flags & 1) === 0) as FixtureFrame);
    const { samples } = await decodeDepthFrame(buffer);
    expect(samples.buffer).toBe(buffer);
    expect(samples.byteOffset).toBe(DEPTH_HEADER_BYTES);
  });

  it("rejects bad magic, truncated frames and wrong sizes", () => {
    const good = bufferOf(fixture.frames[0] as FixtureFrame);
    const badMagic = good.slice(0);
    new Uint8Array(badMagic)[0] = 0x58;
    expect(() => parseHeader(badMagic)).toThrow(DepthFrameError);
    expect(() => parseHeader(good.slice(0, 20))).toThrow(/shorter than its header/);
    expect(() => parseHeader(good.slice(0, good.byteLength - 2))).toThrow(/payload/);
    const badVersion = good.slice(0);
    new DataView(badVersion).setUint16(HEADER_OFFSETS.version, 9, true);
    expect(() => parseHeader(badVersion)).toThrow(/version/);
    const badEncoding = good.slice(0);
    new DataView(badEncoding).setUint16(HEADER_OFFSETS.encoding, 7, true);
    expect(() => parseHeader(badEncoding)).toThrow(/encoding/);
  });

  it("rejects a compressed payload that inflates to the wrong size", async () => {
    const frame = fixture.frames.find((f) => (f.header.flags & 1) !== 0) as FixtureFrame;
    const buffer = bufferOf(frame);
    new DataView(buffer).setUint16(HEADER_OFFSETS.width, frame.header.width + 1, true);
    await expect(decodeDepthFrame(buffer)).rejects.toThrow(/inflated payload/);
  });
});
