/**
 * How big the cloud is, from a fixed-size sample of its points: the box that holds all but
 * the outermost few per cent on each axis (stray points far out do not set the view), the
 * typical and the near depth seen from the first camera, and from these the scale it gets
 * in a headset and the size its points are drawn at. Pure functions and a reservoir sample.
 */

/** Points kept to measure the cloud, whatever its size. */
export const SAMPLE_SIZE = 4096;
/** Share of the points left out at each end of each axis. */
export const OUTLIER_SHARE = 0.02;
/** A relative scene's largest side in a headset, in metres: a room. */
export const ROOM_SIZE_M = 4;
/** Points are drawn this share of the scene's largest side across. */
export const POINT_SIZE_SHARE = 1 / 300;

export interface CloudExtent {
  /** Low and high corner of the robust box, three.js coordinates. */
  min: [number, number, number];
  max: [number, number, number];
  /** Median, 5th- and 95th-percentile depth in front of the first camera (−z), at least a tiny positive. */
  centreDepth: number;
  nearDepth: number;
  farDepth: number;
  /** The box's largest side. */
  size: number;
}

/** A uniform sample of every point ever added (Algorithm R), with a seeded generator. */
export class PointSample {
  readonly values = new Float32Array(SAMPLE_SIZE * 3);
  private seen = 0;
  private seed = 0x9e3779b9;

  constructor(private readonly capacity = SAMPLE_SIZE) {}

  get size(): number {
    return Math.min(this.seen, this.capacity);
  }

  /** Offer n×(x, y, z). */
  add(positions: Float32Array): void {
    for (let i = 0; i + 2 < positions.length; i += 3) {
      const slot = this.seen < this.capacity ? this.seen : this.random(this.seen + 1);
      this.seen++;
      if (slot < this.capacity) this.values.set(positions.subarray(i, i + 3), slot * 3);
    }
  }

  private random(below: number): number {
    // xorshift32: deterministic, so a test sees the same sample twice
    let x = this.seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x >>> 0;
    return this.seed % below;
  }
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  const at = Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))));
  return sorted[at] as number;
}

/** The extent of n×(x, y, z) points (already in the view's frame); null for none. */
export function cloudExtent(points: Float32Array, count = points.length / 3): CloudExtent | null {
  if (count <= 0) return null;
  const axes = [0, 1, 2].map(() => new Float64Array(count));
  for (let i = 0; i < count; i++) for (let a = 0; a < 3; a++) (axes[a] as Float64Array)[i] = points[i * 3 + a] as number;
  for (const axis of axes) axis.sort();
  const min = axes.map((axis) => quantile(axis, OUTLIER_SHARE)) as [number, number, number];
  const max = axes.map((axis) => quantile(axis, 1 - OUTLIER_SHARE)) as [number, number, number];
  const depths = new Float64Array(count);
  for (let i = 0; i < count; i++) depths[i] = -(points[i * 3 + 2] as number);
  depths.sort();
  const size = Math.max(max[0] - min[0], max[1] - min[1], max[2] - min[2], 1e-6);
  const centreDepth = Math.max(quantile(depths, 0.5), size * 0.05, 1e-3);
  const nearDepth = Math.min(Math.max(quantile(depths, 0.05), 1e-3), centreDepth);
  const farDepth = Math.max(quantile(depths, 0.95), centreDepth);
  return { min, max, centreDepth, nearDepth, farDepth, size };
}

/** The eight corners of the robust box. */
export function boxCorners(extent: CloudExtent): Array<[number, number, number]> {
  const corners: Array<[number, number, number]> = [];
  for (const x of [extent.min[0], extent.max[0]]) {
    for (const y of [extent.min[1], extent.max[1]]) {
      for (const z of [extent.min[2], extent.max[2]]) corners.push([x, y, z]);
    }
  }
  return corners;
}

/**
 * The scene's scale in a headset: metric depth is shown life-size (1 m = 1 m); relative depth
 * has no unit, so its largest side becomes a room's.
 */
export function headsetScale(metric: boolean, extent: CloudExtent | null): number {
  if (metric) return 1;
  if (extent === null) return 1;
  return ROOM_SIZE_M / extent.size;
}

/** Points are drawn this many voxels across (the fused cloud has one point a voxel). */
export const POINT_SIZE_VOXELS = 1.5;

/**
 * The points' size in the scene's units (PointsMaterial with size attenuation): a voxel and a
 * half when the voxel size is known, else a share of the scene's size.
 */
export function pointSize(extent: CloudExtent | null, voxel: number | null, factor = 1): number {
  if (voxel !== null && voxel > 0) return voxel * POINT_SIZE_VOXELS * factor;
  return (extent === null ? 0.01 : extent.size * POINT_SIZE_SHARE) * factor;
}
