import { describe, expect, it } from "vitest";
import { boxCorners, cloudExtent, headsetScale, PointSample, pointSize, ROOM_SIZE_M } from "../../src/scene/extent";

/** n points on a grid x in [−1, 1], y in [−0.5, 0.5], depth (−z) in [2, 6]. */
function grid(n: number): Float32Array {
  const out = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const t = i / (n - 1);
    out.set([-1 + 2 * t, -0.5 + ((i * 7) % n) / (n - 1), -(2 + 4 * (((i * 13) % n) / (n - 1)))], i * 3);
  }
  return out;
}

describe("cloudExtent", () => {
  it("is the box of the points but for stray ones, with the depths in front of the camera", () => {
    const points = grid(1001);
    const withOutlier = new Float32Array([...points, 500, 500, -900]);
    const extent = cloudExtent(withOutlier);
    expect(extent).not.toBeNull();
    const e = extent!;
    expect(e.min[0]).toBeCloseTo(-0.96, 1);
    expect(e.max[0]).toBeCloseTo(0.96, 1);
    expect(e.max[2]).toBeLessThan(-1.9);
    expect(e.min[2]).toBeGreaterThan(-6.1);
    expect(e.size).toBeCloseTo(e.max[2] - e.min[2], 5);
    expect(e.centreDepth).toBeCloseTo(4, 1);
    expect(e.nearDepth).toBeGreaterThan(2);
    expect(e.nearDepth).toBeLessThan(2.5);
    expect(boxCorners(e)).toHaveLength(8);
  });

  it("is null for no points", () => {
    expect(cloudExtent(new Float32Array(0))).toBeNull();
  });
});

describe("headsetScale and pointSize", () => {
  const extent = cloudExtent(grid(101))!;
  it("shows metric scenes life-size and relative ones as a room", () => {
    expect(headsetScale(true, extent)).toBe(1);
    expect(headsetScale(false, extent) * extent.size).toBeCloseTo(ROOM_SIZE_M, 6);
    expect(headsetScale(false, null)).toBe(1);
  });
  it("draws points a voxel and a half across, else a small share of the scene", () => {
    expect(pointSize(extent, 0.02)).toBeCloseTo(0.03, 6);
    expect(pointSize(extent, null)).toBeCloseTo(extent.size / 300, 6);
    expect(pointSize(extent, 0, 2)).toBeCloseTo((2 * extent.size) / 300, 6);
  });
});

describe("PointSample", () => {
  it("keeps every point until full, then a fixed number drawn from all", () => {
    const sample = new PointSample(100);
    sample.add(new Float32Array([1, 2, 3, 4, 5, 6]));
    expect(sample.size).toBe(2);
    expect([...sample.values.subarray(0, 6)]).toEqual([1, 2, 3, 4, 5, 6]);
    // 10 000 more points with x = 100: nearly all of the sample is replaced by them
    const many = new Float32Array(30_000).fill(100);
    sample.add(many);
    expect(sample.size).toBe(100);
    const xs = Array.from({ length: 100 }, (_, i) => sample.values[i * 3]);
    expect(xs.filter((x) => x === 100).length).toBeGreaterThan(95);
  });
});
