import { describe, expect, it } from "vitest";
import { DepthMesh, gridSegments, imageAspect, videoShapedGeometry } from "../../src/render/depthMesh";

describe("gridSegments", () => {
  it("sizes the grid along the longer side", () => {
    expect(gridSegments(256, 16 / 9)).toEqual({ x: 256, y: 144 });
    expect(gridSegments(256, 9 / 16)).toEqual({ x: 144, y: 256 });
  });
});

describe("videoShapedGeometry", () => {
  // the server's geometry of a depth map (square pixels, 60° horizontal field of view)
  function depthMap(width: number, height: number) {
    const fx = width / 2 / Math.tan(Math.PI / 6);
    return { width, height, fx_norm: fx / width, fy_norm: fx / height, cx_norm: 0.5, cy_norm: 0.5, fov_deg: 60 };
  }

  it("gives the mesh the video's aspect, not the depth map's (sides rounded to 14)", () => {
    const map = depthMap(126, 84); // a 16:10 video at process_res 126
    expect(imageAspect(map)).toBeCloseTo(1.5, 12);
    const shaped = videoShapedGeometry(map, 320, 200);
    expect(imageAspect(shaped)).toBeCloseTo(1.6, 12);
    expect(shaped.fx_norm).toBe(map.fx_norm); // the horizontal field of view is kept
    expect(imageAspect(videoShapedGeometry(depthMap(126, 98), 320, 240))).toBeCloseTo(4 / 3, 12);
    expect(imageAspect(videoShapedGeometry(depthMap(70, 126), 180, 320))).toBeCloseTo(9 / 16, 12);
  });

  it("keeps the depth map's shape when the video's size is unknown", () => {
    const map = depthMap(126, 70);
    expect(videoShapedGeometry(map, 0, 0)).toBe(map);
  });
});

describe("DepthMesh.setGeometry (a live source changed size)", () => {
  it("rebuilds the grid for the new aspect at the same density and unprojects with the new intrinsics", () => {
    const wide = { width: 126, height: 70, fx_norm: 0.8, fy_norm: 0.8 * (16 / 9), cx_norm: 0.5, cy_norm: 0.5, fov_deg: 64 };
    const tall = { width: 70, height: 126, fx_norm: 1.5, fy_norm: 1.5 * (9 / 16), cx_norm: 0.5, cy_norm: 0.5, fov_deg: 37 };
    const mesh = new DepthMesh(null, wide, 64);
    expect(mesh.segments).toEqual({ x: 64, y: 36 });
    mesh.setGeometry(tall);
    expect(mesh.geometry).toBe(tall);
    expect(mesh.segments).toEqual({ x: 36, y: 64 });
    expect(mesh.mesh.material.uniforms.uIntrinsics!.value.toArray()).toEqual([1.5, 1.5 * (9 / 16), 0.5, 0.5]);
    mesh.setDensity(32);
    mesh.setGeometry(wide);
    expect(mesh.segments).toEqual({ x: 32, y: 18 });
    mesh.dispose();
  });
});
