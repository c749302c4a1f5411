/** A depth map as kept on the main thread. */
import { hasRandomWeights, isMetric, isStabilized } from "../net/header";
import type { DepthFrameHeader } from "../net/protocol";

export interface DepthFrame {
  index: number;
  width: number;
  height: number;
  /** depth = sample · scale + bias (metres when metric). */
  scale: number;
  bias: number;
  metric: boolean;
  randomWeights: boolean;
  /** A live session's depth aligned to the frames before it (header flag 8). */
  stabilized: boolean;
  generation: number;
  /** width × height uint16 samples, row-major, top row first. */
  samples: Uint16Array;
}

export function depthFrameFrom(header: DepthFrameHeader, samples: Uint16Array): DepthFrame {
  return {
    index: header.frame_index,
    width: header.width,
    height: header.height,
    scale: header.scale,
    bias: header.bias,
    metric: isMetric(header),
    randomWeights: hasRandomWeights(header),
    stabilized: isStabilized(header),
    generation: header.generation,
    samples,
  };
}

export function frameBytes(frame: DepthFrame): number {
  return frame.samples.byteLength;
}

/** Depth at sample (x, y), clamped to the map. */
export function depthAt(frame: DepthFrame, x: number, y: number): number {
  const xi = Math.min(Math.max(Math.round(x), 0), frame.width - 1);
  const yi = Math.min(Math.max(Math.round(y), 0), frame.height - 1);
  return (frame.samples[yi * frame.width + xi] as number) * frame.scale + frame.bias;
}

/** Median depth over a sparse grid of samples (cheap; for placing the scene). */
export function medianDepth(frame: DepthFrame, grid = 16): number {
  const values: number[] = [];
  for (let gy = 0; gy < grid; gy++) {
    for (let gx = 0; gx < grid; gx++) {
      values.push(depthAt(frame, ((gx + 0.5) / grid) * frame.width - 0.5, ((gy + 0.5) / grid) * frame.height - 0.5));
    }
  }
  values.sort((a, b) => a - b);
  return values[values.length >> 1] as number;
}
