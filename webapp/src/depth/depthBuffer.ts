/**
 * Depth frames keyed by frame index, and the choice of which one to apply to the video
 * frame on screen.
 *
 * The frame on screen is named by requestVideoFrameCallback's `metadata.mediaTime`, mapped to
 * an index with the frame-times table. If that exact frame's depth is here it is applied;
 * otherwise the last applied depth is held (the mesh never goes blank) and the display counts
 * as a miss. Memory is bounded: frames far behind the playhead go, and past `maxFrames` or
 * `maxBytes` the frames farthest from the playhead go first.
 */
import type { DepthFrame } from "./depthFrame";
import { frameBytes } from "./depthFrame";
import type { FrameTimes } from "./frameTimes";

export interface DepthBufferOptions {
  /** Most frames kept. */
  maxFrames: number;
  /** Most sample bytes kept. */
  maxBytes: number;
  /** Frames kept behind the frame on screen (a short step back needs no new request). */
  keepBehind: number;
}

export const DEFAULT_BUFFER_OPTIONS: Readonly<DepthBufferOptions> = Object.freeze({
  maxFrames: 240,
  maxBytes: 192 * 1024 * 1024,
  keepBehind: 8,
});

export interface Selection {
  /** The frame index on screen. */
  index: number;
  /** The depth to show: the exact frame, or the held one (null before any depth). */
  frame: DepthFrame | null;
  /** Whether `frame` is the exact depth of the frame on screen. */
  own: boolean;
}

export class DepthBuffer {
  readonly options: DepthBufferOptions;
  private readonly frames = new Map<number, DepthFrame>();
  private bytes = 0;
  private playIndex = 0;
  /** Last depth applied to the mesh; held while frames are missing. */
  lastApplied: DepthFrame | null = null;
  lastDisplayedIndex = -1;
  /** Displays counted by select(). */
  displayed = 0;
  /** Of those, displays whose own depth was applied. */
  withOwnDepth = 0;
  /** Displays that had to hold an older frame (or none). */
  misses = 0;
  evicted = 0;

  constructor(
    readonly times: FrameTimes,
    options: Partial<DepthBufferOptions> = {},
  ) {
    this.options = { ...DEFAULT_BUFFER_OPTIONS, ...options };
  }

  get size(): number {
    return this.frames.size;
  }

  get byteSize(): number {
    return this.bytes;
  }

  has(index: number): boolean {
    return this.frames.has(index);
  }

  get(index: number): DepthFrame | undefined {
    return this.frames.get(index);
  }

  indices(): number[] {
    return [...this.frames.keys()].sort((a, b) => a - b);
  }

  /** Keep a frame (replacing one with the same index), then enforce the bounds. */
  put(frame: DepthFrame): void {
    const old = this.frames.get(frame.index);
    if (old !== undefined) this.bytes -= frameBytes(old);
    this.frames.set(frame.index, frame);
    this.bytes += frameBytes(frame);
    this.enforceBounds();
  }

  /**
   * A video frame was presented at `mediaTime` (rVFC metadata.mediaTime): choose its depth and
   * count the display.
   */
  select(mediaTime: number): Selection {
    return this.selectIndex(this.times.indexForMediaTime(mediaTime));
  }

  /** As select(), for a known frame index. */
  selectIndex(index: number): Selection {
    this.displayed += 1;
    this.lastDisplayedIndex = index;
    this.playIndex = index;
    const exact = this.frames.get(index);
    if (exact !== undefined) {
      this.lastApplied = exact;
      this.withOwnDepth += 1;
      this.enforceBounds();
      return { index, frame: exact, own: true };
    }
    this.misses += 1;
    this.enforceBounds();
    return { index, frame: this.lastApplied, own: false };
  }

  /**
   * Depth for the frame still on screen arrived late (paused, or after a seek): apply it
   * without counting another display. Returns the frame to apply, or null if nothing changed.
   */
  refresh(): DepthFrame | null {
    if (this.lastDisplayedIndex < 0) return null;
    const exact = this.frames.get(this.lastDisplayedIndex);
    if (exact === undefined || exact === this.lastApplied) return null;
    this.lastApplied = exact;
    return exact;
  }

  /** The playhead jumped to frame `index`: keep only frames near it. */
  prune(index: number, aheadFrames: number): void {
    this.playIndex = index;
    const lo = index - this.options.keepBehind;
    const hi = index + Math.max(aheadFrames, 0);
    for (const [i, frame] of this.frames) {
      if (i < lo || i > hi) this.remove(i, frame);
    }
  }

  clear(): void {
    this.frames.clear();
    this.bytes = 0;
  }

  /**
   * Depth buffered ahead of the frame on screen, in ms: from that frame's time to the end of
   * the last frame reached without a gap (0 when the frame on screen has no depth).
   */
  aheadMs(index = this.lastDisplayedIndex): number {
    if (index < 0 || !this.frames.has(index)) return 0;
    let last = index;
    while (last + 1 < this.times.count && this.frames.has(last + 1)) last += 1;
    return Math.max(0, (this.times.end(last) - this.times.time(index)) * 1000);
  }

  private remove(index: number, frame: DepthFrame): void {
    this.frames.delete(index);
    this.bytes -= frameBytes(frame);
    this.evicted += 1;
  }

  private enforceBounds(): void {
    const floor = this.playIndex - this.options.keepBehind;
    for (const [i, frame] of this.frames) {
      if (i < floor) this.remove(i, frame);
    }
    const { maxFrames, maxBytes } = this.options;
    if (this.frames.size <= maxFrames && this.bytes <= maxBytes) return;
    // behind the playhead first (oldest first), then the farthest ahead
    const order = this.indices().sort((a, b) => this.evictionRank(b) - this.evictionRank(a));
    for (const i of order) {
      if (this.frames.size <= maxFrames && this.bytes <= maxBytes) break;
      const frame = this.frames.get(i);
      if (frame !== undefined) this.remove(i, frame);
    }
  }

  /** Higher goes first. Behind the playhead ranks above any frame ahead. */
  private evictionRank(index: number): number {
    const d = index - this.playIndex;
    return d < 0 ? 1e9 - d : d;
  }
}
