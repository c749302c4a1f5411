import { describe, expect, it } from "vitest";
import { gridSegments } from "../../src/render/depthMesh";

describe("gridSegments", () => {
  it("sizes the grid along the longer side", () => {
    expect(gridSegments(256, 16 / 9)).toEqual({ x: 256, y: 144 });
    expect(gridSegments(256, 9 / 16)).toEqual({ x: 144, y: 256 });
  });
});
