import { describe, expect, it } from "vitest";
import { parseSceneCameras } from "../../src/net/sceneCameras";

const frame = (index: number) => ({
  index,
  time_s: index / 30,
  camera_to_world: [[1, 0, 0, index], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]],
  fx: 100, fy: 101, cx: 80, cy: 45, width: 160, height: 90,
});

describe("parseSceneCameras", () => {
  it("reads every frame, sorted by index, with its pose row-major", () => {
    const read = parseSceneCameras({ metric: true, frames: [frame(8), frame(0), frame(4)] });
    expect(read.metric).toBe(true);
    expect(read.cameras.map((c) => c.index)).toEqual([0, 4, 8]);
    const c = read.cameras[1];
    expect(c?.cameraToWorld).toEqual([1, 0, 0, 4, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
    expect([c?.fx, c?.fy, c?.cx, c?.cy, c?.width, c?.height, c?.timeS]).toEqual([100, 101, 80, 45, 160, 90, 4 / 30]);
  });

  it("says what is missing", () => {
    expect(() => parseSceneCameras([])).toThrow(/not an object/);
    expect(() => parseSceneCameras({ metric: false })).toThrow(/no frames/);
    const { fx: _fx, ...noFx } = frame(0);
    expect(() => parseSceneCameras({ frames: [noFx] })).toThrow(/fx/);
    expect(() => parseSceneCameras({ frames: [{ ...frame(0), camera_to_world: [[1, 0], [0, 1]] }] })).toThrow(/4×4/);
  });
});
