/**
 * The frame-times table (GET /api/sessions/{id}/frames): maps a presented video frame's
 * media time to its frame index, exactly, for constant and variable frame rates.
 */

/** Slack for rounding in the browser's media time and the table's 6 decimals. */
export const MEDIA_TIME_TOLERANCE_S = 1e-4;

export class FrameTimes {
  private readonly times: Float64Array;
  /** Media time of frame 0 in the browser's timeline (session.video.start_time_s). */
  readonly startTimeS: number;
  /** Typical frame duration, used after the last frame. */
  readonly nominalDurationS: number;

  constructor(times: ArrayLike<number>, startTimeS = 0) {
    if (times.length === 0) throw new Error("a video has at least one frame");
    this.times = Float64Array.from(times);
    for (let i = 1; i < this.times.length; i++) {
      if (!((this.times[i] as number) >= (this.times[i - 1] as number))) {
        throw new Error(`frame times must not decrease (frame ${i})`);
      }
    }
    this.startTimeS = Number.isFinite(startTimeS) ? startTimeS : 0;
    const n = this.times.length;
    this.nominalDurationS = n > 1 ? ((this.times[n - 1] as number) - (this.times[0] as number)) / (n - 1) : 1 / 30;
  }

  get count(): number {
    return this.times.length;
  }

  /** Time of frame `i` (frame 0 at 0), clamped to the table. */
  time(index: number): number {
    const i = Math.min(Math.max(Math.trunc(index), 0), this.times.length - 1);
    return this.times[i] as number;
  }

  /** When frame `i` stops being shown. */
  end(index: number): number {
    const i = Math.min(Math.max(Math.trunc(index), 0), this.times.length - 1);
    return i + 1 < this.times.length ? (this.times[i + 1] as number) : (this.times[i] as number) + this.nominalDurationS;
  }

  /** The browser's media time (rVFC metadata.mediaTime, currentTime) as a table time. */
  toIndexTime(mediaTime: number): number {
    return Math.max(0, mediaTime - this.startTimeS);
  }

  toMediaTime(indexTime: number): number {
    return indexTime + this.startTimeS;
  }

  /** The last frame whose time is <= `indexTime` + tolerance (binary search; clamped at 0). */
  indexAt(indexTime: number): number {
    const target = indexTime + MEDIA_TIME_TOLERANCE_S;
    let lo = 0;
    let hi = this.times.length - 1;
    if (!(target >= (this.times[0] as number))) return 0;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if ((this.times[mid] as number) <= target) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Frame index of the frame the browser presents at `mediaTime`. */
  indexForMediaTime(mediaTime: number): number {
    return this.indexAt(this.toIndexTime(mediaTime));
  }

  /** A media time safely inside frame `i` (its middle), for seeking to exactly that frame. */
  mediaTimeInside(index: number): number {
    const i = Math.min(Math.max(Math.trunc(index), 0), this.times.length - 1);
    return this.toMediaTime((this.time(i) + this.end(i)) / 2);
  }

  /** Frames in `seconds` of video around frame `index` (for window sizes). */
  framesIn(seconds: number): number {
    return Math.max(1, Math.ceil(seconds / Math.max(this.nominalDurationS, 1e-3)));
  }
}
