import { describe, expect, it } from "vitest";
import { DepthCodecError, decodePredicted, RowFilter } from "../../src/net/depthCodec";
import { decodeDepthFrame, parseHeader } from "../../src/net/header";
import { inflate } from "../../src/net/inflate";
import { DepthEncoding, DepthFlags, HEADER_OFFSETS } from "../../src/net/protocol";
import { bufferOf, FIXTURE_FRAMES, type FixtureFrame } from "../depthFrameFixture";

// Frames packed in the `predicted` encoding by the server's own packer (scripts/gen_protocol_ts.py).
const predicted = FIXTURE_FRAMES.filter((f) => f.header.encoding === DepthEncoding.UINT16_PREDICTED);

async function inflatedBody(frame: FixtureFrame): Promise<Uint8Array> {
  const buffer = bufferOf(frame);
  return new Uint8Array(await inflate(new Uint8Array(buffer, frame.header.header_bytes)));
}

describe("the predicted encoding (fixtures from the Python encoder)", () => {
  it("has frames of every edge shape: 1xN, Nx1, and one row per filter", async () => {
    const shapes = predicted.map((f) => `${f.header.width}x${f.header.height}`);
    expect(shapes).toEqual(expect.arrayContaining(["8x4", "9x1", "1x6", "7x5"]));
    const showcase = predicted.find((f) => f.header.width === 8 && f.header.height === 4) as FixtureFrame;
    const filters = Array.from((await inflatedBody(showcase)).subarray(0, 4));
    expect(filters).toEqual([RowFilter.NONE, RowFilter.LEFT, RowFilter.UP, RowFilter.GRADIENT]);
  });

  for (const frame of predicted) {
    it(`${frame.header.width}x${frame.header.height}: decodes to the server's samples`, async () => {
      expect(frame.header.flags & DepthFlags.COMPRESSED).toBe(DepthFlags.COMPRESSED);
      const { header, samples } = await decodeDepthFrame(bufferOf(frame));
      expect(header.encoding).toBe(DepthEncoding.UINT16_PREDICTED);
      expect(samples).toBeInstanceOf(Uint16Array);
      expect(Array.from(samples)).toEqual(frame.samples);
      const body = await inflatedBody(frame);
      expect(Array.from(decodePredicted(body, frame.header.width, frame.header.height))).toEqual(frame.samples);
    });
  }

  it("rejects a body of the wrong length and an unknown row filter", async () => {
    const frame = predicted[0] as FixtureFrame;
    const { width, height } = frame.header;
    const body = await inflatedBody(frame);
    expect(() => decodePredicted(body.subarray(1), width, height)).toThrow(DepthCodecError);
    const bad = body.slice();
    bad[height - 1] = 4;
    expect(() => decodePredicted(bad, width, height)).toThrow(/unknown row filter 4/);
  });

  it("rejects encoding 2 without the compressed flag, and an unknown encoding", () => {
    const buffer = bufferOf(predicted[0] as FixtureFrame);
    const view = new DataView(buffer);
    view.setUint16(HEADER_OFFSETS.flags, view.getUint16(HEADER_OFFSETS.flags, true) & ~DepthFlags.COMPRESSED, true);
    expect(() => parseHeader(buffer)).toThrow(/encoding 2 without flag 1/);
    view.setUint16(HEADER_OFFSETS.encoding, 3, true);
    expect(() => parseHeader(buffer)).toThrow(/unknown depth encoding 3/);
  });
});
