import { describe, expect, it } from "vitest";
import { sceneCorners } from "../../src/render/framing";

describe("sceneCorners", () => {
  it("unprojects the picture's corners to the near and far depths, as the vertex shader does", () => {
    const geometry = { width: 126, height: 84, fx_norm: 0.866, fy_norm: 1.386, cx_norm: 0.5, cy_norm: 0.5, fov_deg: 60 };
    const corners = sceneCorners(geometry, 1, 2);
    expect(corners).toHaveLength(8);
    for (const c of corners) {
      const z = -c.z;
      expect([1, 2]).toContain(z);
      // back through the pinhole: image coordinates 0 or 1 on both axes
      const u = (c.x / z) * geometry.fx_norm + geometry.cx_norm;
      const v = (-c.y / z) * geometry.fy_norm + geometry.cy_norm;
      expect(Math.min(Math.abs(u), Math.abs(u - 1))).toBeLessThan(1e-12);
      expect(Math.min(Math.abs(v), Math.abs(v - 1))).toBeLessThan(1e-12);
    }
    // the far corners lie twice as far out as the near ones
    expect(corners[4]?.x).toBeCloseTo(2 * (corners[0]?.x ?? 0), 12);
  });
});
