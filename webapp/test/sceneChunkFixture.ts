/** Scene chunks built as the server builds them (docs/SCENE.md), for the tests. */
import type { SceneCamera } from "../src/net/sceneCameras";

/** A version-1 DCPC chunk of these points (x, y, z OpenCV) and colours. */
export function chunkBytes(index: number, points: ReadonlyArray<readonly [number, number, number]>, colour: readonly [number, number, number] = [255, 0, 0]): ArrayBuffer {
  const n = points.length;
  const buffer = new ArrayBuffer(16 + n * 15);
  const view = new DataView(buffer);
  [..."DCPC"].forEach((c, i) => view.setUint8(i, c.charCodeAt(0)));
  view.setUint32(4, 1, true);
  view.setUint32(8, n, true);
  view.setUint32(12, index, true);
  points.forEach((p, i) => p.forEach((v, a) => view.setFloat32(16 + (i * 3 + a) * 4, v, true)));
  for (let i = 0; i < n; i++) colour.forEach((c, a) => view.setUint8(16 + n * 12 + i * 3 + a, c));
  return buffer;
}

/** A camera at (x, y, z) in OpenCV world coordinates, looking along +z. */
export function cameraAt(index: number, x: number, y: number, z: number): SceneCamera {
  return {
    index,
    timeS: index / 30,
    cameraToWorld: [1, 0, 0, x, 0, 1, 0, y, 0, 0, 1, z, 0, 0, 0, 1],
    fx: 100,
    fy: 100,
    cx: 80,
    cy: 45,
    width: 160,
    height: 90,
  };
}
