/**
 * From the scene's OpenCV convention (x right, y down, z forward) to three.js's (x right,
 * y up, z back): a point (x, y, z) becomes (x, −y, −z), and a camera-to-world pose C becomes
 * S·C·S with S = diag(1, −1, −1, 1), which flips both the world's axes and the camera's.
 */
import * as THREE from "three";

/** Convert n×(x, y, z) in place. */
export function pointsToThree(positions: Float32Array): Float32Array {
  for (let i = 0; i < positions.length; i += 3) {
    positions[i + 1] = -(positions[i + 1] as number);
    positions[i + 2] = -(positions[i + 2] as number);
  }
  return positions;
}

const FLIP = new THREE.Matrix4().makeScale(1, -1, -1);

/** A row-major 4×4 OpenCV camera-to-world as three.js's camera-to-world. */
export function poseToThree(cameraToWorld: readonly number[]): THREE.Matrix4 {
  const m = new THREE.Matrix4().fromArray(cameraToWorld).transpose(); // fromArray reads column-major
  return FLIP.clone().multiply(m).multiply(FLIP);
}
