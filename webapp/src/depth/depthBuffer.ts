/**
 * Depth frames keyed by frame index, and the choice of which one to apply to the video
 * frame on screen.
 *
 * The frame on screen is named by requestVideoFrameCallback's `metadata.mediaTime`, mapped to
 * an index with the frame-times table. If that exact frame's depth is here it is applied;
 * otherwise the display counts as a miss and the depth nearest to it within `holdFrames`
 * frames is shown (the last applied one, or one already here for the new position). While
 * the video plays on without a jump, the last depth is held up to `holdPlayingS` behind (a
 * slow server's gaps). Other depth belongs to another moment (after a seek, the old
 * position's relief would sit on the new picture), so then the picture is shown flat. Memory is bounded: frames far behind the
 * playhead go, and past `maxFrames` or `maxBytes` the frames farthest from the playhead go
 * first.
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
  /**
   * How far (in frames) the depth shown may be from the frame on screen when its own is
   * missing. A slow server leaves gaps of a few frames while playing; after a seek the old
   * position is far away (the first new depth came 17-19 frames past the target, measured).
   */
  holdFrames: number;
  /**
   * While the video plays on without a jump, the last depth is held this long (s) behind the
   * frame on screen: a slow server leaves gaps wider than `holdFrames`, and flickering between
   * relief and a flat picture would be worse than relief a few frames old.
   */
  holdPlayingS: number;
}

export const DEFAULT_BUFFER_OPTIONS: Readonly<DepthBufferOptions> = Object.freeze({
  maxFrames: 240,
  maxBytes: 192 * 1024 * 1024,
  keepBehind: 8,
  holdFrames: 8,
  holdPlayingS: 2,
});

export interface Selection {
  /** The frame index on screen. */
  index: number;
  /** The depth to show: the exact frame, or the nearest within `holdFrames` (null: flat). */
  frame: DepthFrame | null;
  /** Whether `frame` is the exact depth of the frame on screen. */
  own: boolean;
}

export class DepthBuffer {
  readonly options: DepthBufferOptions;
  private readonly frames = new Map<number, DepthFrame>();
  private bytes = 0;
  private playIndex = 0;
  /** Last depth applied to the mesh (null: flat); held while frames are missing. */
  lastApplied: DepthFrame | null = null;
  lastDisplayedIndex = -1;
  /** Whether the last display counted as a miss (its own depth may still come). */
  private lastWasMiss = false;
  /** Whether `lastApplied` is from before the playhead's last jump (never held after it). */
  private appliedBeforeJump = false;
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
    const last = this.lastDisplayedIndex;
    if (last >= 0 && Math.abs(index - last) > this.options.holdFrames) {
      // The picture jumped (a seek; its first frames may come before the seek is reported):
      // what was applied belongs to another moment and is never held on the new picture.
      this.appliedBeforeJump = true;
    }
    this.displayed += 1;
    this.lastDisplayedIndex = index;
    this.playIndex = index;
    const exact = this.frames.get(index);
    if (exact !== undefined) {
      this.lastApplied = exact;
      this.appliedBeforeJump = false;
      this.withOwnDepth += 1;
      this.lastWasMiss = false;
      this.enforceBounds();
      return { index, frame: exact, own: true };
    }
    this.misses += 1;
    this.lastWasMiss = true;
    const near = this.nearest(index);
    if (near !== null) this.appliedBeforeJump = false;
    this.lastApplied = near ?? (this.holdsOn(index) ? this.lastApplied : null);
    this.enforceBounds();
    return { index, frame: this.lastApplied, own: false };
  }

  /** The depth nearest to frame `index` within holdFrames (behind first on a tie), or null. */
  nearest(index: number): DepthFrame | null {
    const held = this.lastApplied;
    const heldDistance = held === null ? Number.POSITIVE_INFINITY : Math.abs(held.index - index);
    const reach = Math.min(this.options.holdFrames, heldDistance - 1);
    for (let d = 0; d <= reach; d++) {
      const frame = this.frames.get(index - d) ?? this.frames.get(index + d);
      if (frame !== undefined) return frame;
    }
    return heldDistance <= this.options.holdFrames ? held : null;
  }

  /** Whether the last depth may stay on frame `index`: played on to it, no jump since. */
  private holdsOn(index: number): boolean {
    const held = this.lastApplied;
    if (held === null || this.appliedBeforeJump || index < held.index) return false;
    return index - held.index <= this.times.framesIn(this.options.holdPlayingS);
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

  /**
   * The frame on screen, counted as a miss, got its own depth (refresh) before it moved on:
   * the video is paused, so it is shown with that depth from now on. Count it as a display
   * with its own depth after all (the first frame, whose depth comes before play starts).
   */
  creditLateDepth(): boolean {
    const applied = this.lastApplied;
    if (!this.lastWasMiss || applied === null || applied.index !== this.lastDisplayedIndex) return false;
    this.lastWasMiss = false;
    this.misses -= 1;
    this.withOwnDepth += 1;
    return true;
  }

  /** The playhead jumped to frame `index`: keep only frames near it. */
  prune(index: number, aheadFrames: number): void {
    this.playIndex = index;
    const held = this.lastApplied;
    if (held !== null && Math.abs(held.index - index) > this.options.holdFrames) {
      this.appliedBeforeJump = true; // the old position's relief never sits on the new picture
    }
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
