import * as THREE from "three";
import { describe, expect, it } from "vitest";
import { zeroParallaxDepth } from "../../src/render/comfort";
import { sceneCorners, VR_DISTANCE_M, vrPlacementFor } from "../../src/render/framing";
import { DEFAULT_STEREO } from "../../src/render/stereo";

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

describe("vrPlacementFor", () => {
  const span = { near: 1, far: 3 };
  /** Where a point `z` units in front of the pinhole lands in the headset (floor space). */
  const place = (p: ReturnType<typeof vrPlacementFor>, z: number): THREE.Vector3 =>
    new THREE.Vector3(0, 0, -z).multiply(p.scale).add(p.position);

  it("shows metric depth life-size: 1 m of depth is 1 m, the pinhole at eye height", () => {
    const p = vrPlacementFor({ ...DEFAULT_STEREO, eyeHeight: 1.4 }, true, span);
    expect(p.placement).toEqual({ scale: "life", metric: true, metresPerUnit: 1, eyeHeight: 1.4 });
    expect(place(p, 2.5).toArray()).toEqual([0, 1.4, -2.5]);
  });

  it("falls back to a screen for a relative model, even when life-size is asked for", () => {
    const p = vrPlacementFor({ ...DEFAULT_STEREO, vrScale: "life" }, false, span);
    expect(p.placement.scale).toBe("screen");
    expect(p.placement.metric).toBe(false);
    const focus = zeroParallaxDepth(span, DEFAULT_STEREO.convergence);
    expect(p.placement.metresPerUnit).toBeCloseTo(VR_DISTANCE_M / focus, 12);
    expect(-place(p, focus).z).toBeCloseTo(VR_DISTANCE_M, 12);
  });

  it("keeps the zero-parallax plane 2 m away and scales depth about it by the strength", () => {
    const settings = { ...DEFAULT_STEREO, vrScale: "screen" as const, strength: 0.5, convergence: 0.5 };
    const p = vrPlacementFor(settings, true, span);
    const focus = zeroParallaxDepth(span, 0.5);
    const atFocus = -place(p, focus).z;
    expect(atFocus).toBeCloseTo(VR_DISTANCE_M, 12);
    const metres = p.placement.metresPerUnit;
    expect(-place(p, 3).z - atFocus).toBeCloseTo((3 - focus) * metres * 0.5, 12);
    expect(place(p, 3).y).toBe(DEFAULT_STEREO.eyeHeight);
  });
});
