import { describe, expect, it } from "vitest";
import {
  decodeDepthFrame,
  DepthFrameError,
  hasRandomWeights,
  headerSizeOk,
  isCompressed,
  isMetric,
  parseHeader,
  sampleToDepth,
} from "../../src/net/header";
import { DEPTH_HEADER_BYTES, HEADER_ALIGN, HEADER_OFFSETS, PROTOCOL_VERSION } from "../../src/net/protocol";
import { bufferOf, FIXTURE_FRAMES as frames, toArrayBuffer, type FixtureFrame } from "../depthFrameFixture";

/** The frame with its header_bytes field set to `size` (the bytes themselves unchanged). */
function withHeaderBytes(frame: FixtureFrame, size: number): ArrayBuffer {
  const buffer = bufferOf(frame);
  new DataView(buffer).setUint16(HEADER_OFFSETS.header_bytes, size, true);
  return buffer;
}

describe("the header-size rule", () => {
  it("accepts multiples of HEADER_ALIGN from DEPTH_HEADER_BYTES up, nothing else", () => {
    expect([DEPTH_HEADER_BYTES, HEADER_ALIGN]).toEqual([48, 8]);
    for (const ok of [48, 56, 64, 1024]) expect(headerSizeOk(ok), String(ok)).toBe(true);
    for (const bad of [0, 8, 40, 47, 49, 52, 60]) expect(headerSizeOk(bad), String(bad)).toBe(false);
  });

  it("parseHeader follows it: 48 and 56 decode, 52 and 40 are rejected", () => {
    const plain = frames.find((f) => f.header.header_bytes === 48) as FixtureFrame;
    const longer = frames.find((f) => f.header.header_bytes === 56) as FixtureFrame;
    expect(parseHeader(bufferOf(plain)).header_bytes).toBe(48);
    expect(parseHeader(bufferOf(longer)).header_bytes).toBe(56);
    for (const size of [52, 40]) {
      expect(() => parseHeader(withHeaderBytes(longer, size)), String(size)).toThrow(/header size/);
      expect(() => parseHeader(withHeaderBytes(plain, size)), String(size)).toThrow(/header size/);
    }
  });

  it("rejects a header_bytes beyond the end of the frame", () => {
    const frame = frames[0] as FixtureFrame;
    expect(() => parseHeader(withHeaderBytes(frame, 4096))).toThrow(/shorter than its 4096-byte header/);
  });
});

describe("depth frame header (fixture packed by the Python server code)", () => {
  it("has frames, one of them compressed, one with a header longer than 48 bytes", () => {
    expect(frames.length).toBeGreaterThanOrEqual(3);
    expect(frames.some((f) => (f.header.flags & 1) !== 0)).toBe(true);
    expect(frames.some((f) => f.header.header_bytes > DEPTH_HEADER_BYTES)).toBe(true);
  });

  for (const [i, frame] of frames.entries()) {
    it(`frame ${i}: every header field matches (${frame.header.header_bytes}-byte header)`, () => {
      const header = parseHeader(bufferOf(frame));
      for (const [key, value] of Object.entries(frame.header)) {
        expect(header[key as keyof typeof header], key).toBe(value);
      }
      expect(header.version).toBe(PROTOCOL_VERSION);
      expect(headerSizeOk(header.header_bytes)).toBe(true);
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

  it("views an uncompressed payload without copying, from header_bytes on", async () => {
    const raw = frames.filter((f) => (f.header.flags & 1) === 0);
    expect(raw.map((f) => f.header.header_bytes)).toEqual(expect.arrayContaining([48, 56]));
    for (const frame of raw) {
      const buffer = bufferOf(frame);
      const { samples } = await decodeDepthFrame(buffer);
      expect(samples.buffer).toBe(buffer);
      expect(samples.byteOffset).toBe(frame.header.header_bytes);
    }
  });

  it("rejects bad magic, truncated frames and wrong sizes", () => {
    const good = bufferOf(frames[0] as FixtureFrame);
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
    const frame = frames.find((f) => (f.header.flags & 1) !== 0) as FixtureFrame;
    const buffer = bufferOf(frame);
    new DataView(buffer).setUint16(HEADER_OFFSETS.width, frame.header.width + 1, true);
    await expect(decodeDepthFrame(buffer)).rejects.toThrow(/inflated payload/);
  });
});
