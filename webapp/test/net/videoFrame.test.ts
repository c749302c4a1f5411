import { describe, expect, it } from "vitest";
import { PROTOCOL_VERSION, VIDEO_HEADER_BYTES, VIDEO_HEADER_OFFSETS as O, VideoCodec } from "../../src/net/protocol";
import { isVideoFrame, packVideoFrame, parseVideoHeader, videoHeaderSizeOk, videoPayload, VideoFrameError } from "../../src/net/videoFrame";
import { bufferOf, FIXTURE_FRAMES } from "../depthFrameFixture";
import { VIDEO_FIXTURE_FRAMES as frames, videoBufferOf, type VideoFixtureFrame } from "../videoFrameFixture";

function edited(frame: VideoFixtureFrame, edit: (view: DataView) => void): ArrayBuffer {
  const buffer = videoBufferOf(frame);
  edit(new DataView(buffer));
  return buffer;
}

const plain = frames.find((f) => f.header.header_bytes === VIDEO_HEADER_BYTES && f.header.payload_bytes > 0) as VideoFixtureFrame;

describe("video frame header", () => {
  it("is 40 bytes with the offsets of protocol.py's struct <4sHHIHHqqHHI", () => {
    expect(VIDEO_HEADER_BYTES).toBe(40);
    expect(O).toEqual({ magic: 0, version: 4, header_bytes: 6, frame_index: 8, codec: 12, flags: 14, pts_us: 16, capture_us: 24, width: 32, height: 34, payload_bytes: 36 });
  });

  it("reads every field of the frames the server packed, a longer header included", () => {
    expect(frames.length).toBeGreaterThanOrEqual(3);
    expect(frames.some((f) => f.header.header_bytes > VIDEO_HEADER_BYTES)).toBe(true);
    for (const frame of frames) {
      const buffer = videoBufferOf(frame);
      const header = parseVideoHeader(buffer);
      expect(header).toEqual({ ...frame.header, version: PROTOCOL_VERSION });
      const payload = videoPayload(buffer, header);
      expect(payload.byteLength).toBe(frame.header.payload_bytes);
      expect(payload.byteOffset).toBe(frame.header.header_bytes); // a longer header is skipped
    }
  });

  it("keeps capture_us exact past 2^32 (µs since 1970 need 51 bits)", () => {
    const header = parseVideoHeader(videoBufferOf(plain));
    expect(header.capture_us).toBe(plain.header.capture_us);
    expect(header.capture_us).toBeGreaterThan(2 ** 50);
  });

  it("packs the bytes the server packs", () => {
    for (const frame of frames.filter((f) => f.header.header_bytes === VIDEO_HEADER_BYTES)) {
      const server = new Uint8Array(videoBufferOf(frame));
      const packed = packVideoFrame(frame.header, server.subarray(VIDEO_HEADER_BYTES));
      expect(new Uint8Array(packed)).toEqual(server);
    }
  });

  it("round-trips what a browser source sends", () => {
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);
    const fields = { frame_index: 7, pts_us: 66_667, capture_us: Math.round(1_796_000_123_456.789 * 1000), width: 1280, height: 720 };
    const buffer = packVideoFrame(fields, jpeg);
    expect(buffer.byteLength).toBe(VIDEO_HEADER_BYTES + jpeg.byteLength);
    expect(isVideoFrame(buffer)).toBe(true);
    const header = parseVideoHeader(buffer);
    expect(header).toMatchObject({ ...fields, codec: VideoCodec.JPEG, flags: 0, header_bytes: 40, payload_bytes: 9 });
    expect(videoPayload(buffer, header)).toEqual(jpeg);
  });

  it("refuses sides that do not fit the header", () => {
    const fields = { frame_index: 0, pts_us: 0, capture_us: 0, width: 0, height: 10 };
    expect(() => packVideoFrame(fields, new Uint8Array(1))).toThrow(VideoFrameError);
    expect(() => packVideoFrame({ ...fields, width: 70_000 }, new Uint8Array(1))).toThrow(/u16/);
  });

  it("tells video frames (DCVF) from depth frames (DCDF)", () => {
    expect(isVideoFrame(videoBufferOf(plain))).toBe(true);
    for (const depth of FIXTURE_FRAMES) expect(isVideoFrame(bufferOf(depth))).toBe(false);
    expect(isVideoFrame(new ArrayBuffer(2))).toBe(false);
  });

  it("follows the header-size rule", () => {
    for (const ok of [40, 48, 56]) expect(videoHeaderSizeOk(ok)).toBe(true);
    for (const bad of [0, 32, 44, 41]) expect(videoHeaderSizeOk(bad)).toBe(false);
    expect(() => parseVideoHeader(edited(plain, (v) => v.setUint16(O.header_bytes, 44, true)))).toThrow(/header size/);
  });

  it("rejects damaged frames in words", () => {
    expect(() => parseVideoHeader(new ArrayBuffer(39))).toThrow(/shorter than its header/);
    expect(() => parseVideoHeader(edited(plain, (v) => v.setUint8(3, 0x44)))).toThrow(/bad magic/);
    expect(() => parseVideoHeader(edited(plain, (v) => v.setUint16(O.version, 2, true)))).toThrow(/version 2/);
    expect(() => parseVideoHeader(edited(plain, (v) => v.setUint16(O.codec, 9, true)))).toThrow(/codec 9/);
    const extra = plain.header.payload_bytes + 1;
    expect(() => parseVideoHeader(edited(plain, (v) => v.setUint32(O.payload_bytes, extra, true)))).toThrow(/payload_bytes says/);
    const truncated = videoBufferOf(plain).slice(0, VIDEO_HEADER_BYTES + 1);
    expect(() => parseVideoHeader(truncated)).toThrow(VideoFrameError);
  });
});
