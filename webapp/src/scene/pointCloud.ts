/**
 * The fused point cloud as one three.js Points object that grows as chunks arrive: positions
 * and colours live in typed arrays of doubling capacity; each chunk is copied in (converted
 * from OpenCV to three.js axes, its sRGB colours to linear) and only the new range is
 * uploaded. A fixed-size sample of the points measures the cloud (scene/extent.ts).
 */
import * as THREE from "three";
import type { SceneChunk } from "../net/sceneChunk";
import { PointSample } from "./extent";
import { pointsToThree } from "./opencv";

const INITIAL_CAPACITY = 1 << 14;

/** sRGB byte → linear, as 16-bit normalised (three.js treats vertex colours as linear). */
const SRGB_TO_LINEAR16 = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) table[i] = Math.round(new THREE.Color().setRGB(i / 255, 0, 0, THREE.SRGBColorSpace).r * 65535);
  return table;
})();

export class ScenePointCloud {
  readonly points: THREE.Points<THREE.BufferGeometry, THREE.PointsMaterial>;
  readonly sample = new PointSample();
  /** Points per chunk, in the order they were added. */
  readonly chunkCounts: number[] = [];
  private positions = new Float32Array(INITIAL_CAPACITY * 3);
  private colours = new Uint16Array(INITIAL_CAPACITY * 3);
  private filled = 0;

  constructor() {
    const material = new THREE.PointsMaterial({ size: 0.01, sizeAttenuation: true, vertexColors: true });
    this.points = new THREE.Points(this.makeGeometry(), material);
    this.points.name = "scene-points";
    // the bounding sphere would be computed once, from the first chunk, and cull the rest
    this.points.frustumCulled = false;
  }

  /** Points drawn. */
  get count(): number {
    return this.filled;
  }

  get capacity(): number {
    return this.positions.length / 3;
  }

  /** Add the points of one chunk (its positions array is converted in place). */
  add(chunk: SceneChunk): void {
    const n = chunk.count;
    this.chunkCounts.push(n);
    if (n === 0) return;
    if (this.filled + n > this.capacity) this.grow(this.filled + n);
    const start = this.filled;
    this.positions.set(pointsToThree(chunk.positions), start * 3);
    for (let i = 0; i < n * 3; i++) this.colours[start * 3 + i] = SRGB_TO_LINEAR16[chunk.colours[i] as number] as number;
    this.sample.add(chunk.positions);
    this.filled += n;
    const geometry = this.points.geometry;
    for (const name of ["position", "color"]) {
      const attribute = geometry.getAttribute(name) as THREE.BufferAttribute;
      attribute.addUpdateRange(start * 3, n * 3);
      attribute.needsUpdate = true;
    }
    geometry.setDrawRange(0, this.filled);
  }

  /** Point size in the scene's units (before the content's scale). */
  setPointSize(size: number): void {
    this.points.material.size = size;
  }

  dispose(): void {
    this.points.geometry.dispose();
    this.points.material.dispose();
  }

  /** A new geometry over larger arrays (a GL buffer cannot grow; the old one is freed). */
  private grow(needed: number): void {
    let capacity = this.capacity;
    while (capacity < needed) capacity *= 2;
    const positions = new Float32Array(capacity * 3);
    positions.set(this.positions.subarray(0, this.filled * 3));
    const colours = new Uint16Array(capacity * 3);
    colours.set(this.colours.subarray(0, this.filled * 3));
    this.positions = positions;
    this.colours = colours;
    const old = this.points.geometry;
    this.points.geometry = this.makeGeometry();
    this.points.geometry.setDrawRange(0, this.filled);
    old.dispose();
  }

  private makeGeometry(): THREE.BufferGeometry {
    const geometry = new THREE.BufferGeometry();
    geometry.setAttribute("position", new THREE.BufferAttribute(this.positions, 3).setUsage(THREE.DynamicDrawUsage));
    geometry.setAttribute("color", new THREE.BufferAttribute(this.colours, 3, true).setUsage(THREE.DynamicDrawUsage));
    geometry.setDrawRange(0, this.filled);
    return geometry;
  }
}
