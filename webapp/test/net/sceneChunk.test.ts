import { describe, expect, it } from "vitest";
import { parseSceneChunk, SceneChunkError } from "../../src/net/sceneChunk";
import { chunkBytes } from "../sceneChunkFixture";

describe("parseSceneChunk", () => {
  it("reads the header, the positions and the colours", () => {
    const chunk = parseSceneChunk(chunkBytes(3, [[1, -2, 3.5], [0.25, 0, 10]], [10, 20, 30]));
    expect(chunk.index).toBe(3);
    expect(chunk.count).toBe(2);
    expect([...chunk.positions]).toEqual([1, -2, 3.5, 0.25, 0, 10]);
    expect([...chunk.colours]).toEqual([10, 20, 30, 10, 20, 30]);
  });

  it("reads an empty chunk", () => {
    const chunk = parseSceneChunk(chunkBytes(0, []));
    expect(chunk.count).toBe(0);
    expect(chunk.positions.length).toBe(0);
  });

  it("refuses another magic, another version and a wrong length", () => {
    const wrongMagic = chunkBytes(0, [[0, 0, 1]]);
    new DataView(wrongMagic).setUint8(0, 0x58);
    expect(() => parseSceneChunk(wrongMagic)).toThrow(/magic/);
    const wrongVersion = chunkBytes(0, [[0, 0, 1]]);
    new DataView(wrongVersion).setUint32(4, 2, true);
    expect(() => parseSceneChunk(wrongVersion)).toThrow(/version 2/);
    expect(() => parseSceneChunk(chunkBytes(0, [[0, 0, 1]]).slice(0, 20))).toThrow(SceneChunkError);
    expect(() => parseSceneChunk(new ArrayBuffer(8))).toThrow(/shorter than its header/);
  });
});
