/**
 * The depth statistics stereo comfort works from: a frame's robust nearest and farthest depth
 * in scene units (as the vertex shader places the mesh: metric samples in metres, relative ones
 * in 1 .. 1 + relief), from a sparse grid of samples, so a few stray pixels do not set them.
 */
import type { DepthFrame } from "../depth/depthFrame";
import type { DepthSpan } from "./comfort";

/** Samples on a GRID×GRID lattice; the span is their NEAR_QUANTILE .. 1 − NEAR_QUANTILE. */
export const SPAN_GRID = 32;
export const NEAR_QUANTILE = 0.02;

export function depthSpanOf(frame: DepthFrame, relief: number): DepthSpan {
  const values: number[] = [];
  for (let gy = 0; gy < SPAN_GRID; gy++) {
    const y = Math.min(frame.height - 1, Math.floor(((gy + 0.5) / SPAN_GRID) * frame.height));
    for (let gx = 0; gx < SPAN_GRID; gx++) {
      const x = Math.min(frame.width - 1, Math.floor(((gx + 0.5) / SPAN_GRID) * frame.width));
      const s = frame.samples[y * frame.width + x] as number;
      values.push(frame.metric ? Math.max(s * frame.scale + frame.bias, 1e-3) : 1 + (relief * s) / 65535);
    }
  }
  values.sort((a, b) => a - b);
  const at = (q: number): number => values[Math.min(values.length - 1, Math.max(0, Math.round(q * (values.length - 1))))] as number;
  return { near: at(NEAR_QUANTILE), far: at(1 - NEAR_QUANTILE) };
}
