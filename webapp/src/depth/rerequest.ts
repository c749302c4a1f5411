/**
 * Which frames to ask for again (`request_frames`).
 *
 * A frame is re-requested when it never arrived and the server did not give it up for good:
 * - it was displayed without its own depth and is still within the buffer window behind the
 *   frame on screen (a step back or a pause will want it), or
 * - it is a hole: a later frame arrived a while ago but this one did not, or
 * - the server dropped it for `overflow`: computed, but the socket was too slow to take it.
 *   It sits in the server's depth cache, so asking again costs no inference. Likewise for
 *   `request_limit`: the server had too many requests waiting to queue it.
 * Frames dropped for any other reason (stale, cancelled, failed, out of range) are not asked
 * for again until a reset. Each frame is asked for at most `maxAttempts` times,
 * `retryAfterMs` apart. Pure; the caller supplies the clock.
 */
import { DropReason } from "../net/protocol";


export interface RerequestOptions {
  maxAttempts: number;
  retryAfterMs: number;
  /** A missing frame must have been missed (or be a hole) this long before it is asked for. */
  graceMs: number;
  /** How far behind the frame on screen missed frames are still worth asking for. */
  behindFrames: number;
  /** How far ahead of the frame on screen holes are looked for. */
  aheadFrames: number;
  /** Most indices per request_frames message (the server takes up to 1024). */
  maxBatch: number;
}

export const DEFAULT_REREQUEST_OPTIONS: Readonly<RerequestOptions> = Object.freeze({
  maxAttempts: 3,
  retryAfterMs: 1500,
  graceMs: 750,
  behindFrames: 8,
  aheadFrames: 120,
  maxBatch: 64,
});

export class RerequestPlanner {
  readonly options: RerequestOptions;
  private readonly received = new Set<number>();
  private readonly dropped = new Set<number>();
  /** Frames displayed without their depth: index → when first noticed. */
  private readonly missed = new Map<number, number>();
  /** Missing frames below the newest arrival: index → when first noticed. */
  private readonly holes = new Map<number, number>();
  /** Frames the server could not queue for the socket (`overflow`): index → when reported. */
  private readonly overflowed = new Map<number, number>();
  private readonly attempts = new Map<number, { count: number; at: number }>();
  private newest = -1;
  /** Indices sent in request_frames so far. */
  total = 0;

  constructor(options: Partial<RerequestOptions> = {}) {
    this.options = { ...DEFAULT_REREQUEST_OPTIONS, ...options };
  }

  noteReceived(index: number): void {
    this.received.add(index);
    this.missed.delete(index);
    this.holes.delete(index);
    this.overflowed.delete(index);
    if (index > this.newest) this.newest = index;
  }

  /**
   * The server reported `indices` dropped for `reason`. An overflowed frame stays wanted (it
   * is asked for after the grace period, giving the socket time to drain); the others are
   * given up until the next reset.
   */
  noteDropped(indices: readonly number[], reason: DropReason, now: number): void {
    const again = reason === DropReason.OVERFLOW || reason === DropReason.REQUEST_LIMIT;
    for (const i of indices) {
      this.missed.delete(i);
      this.holes.delete(i);
      if (again) {
        this.dropped.delete(i);
        if (!this.received.has(i)) this.overflowed.set(i, now);
      } else {
        this.dropped.add(i);
        this.overflowed.delete(i);
      }
    }
  }

  /** Frame `index` was displayed without its own depth. */
  noteMissed(index: number, now: number): void {
    if (!this.received.has(index) && !this.dropped.has(index) && !this.missed.has(index)) {
      this.missed.set(index, now);
    }
  }

  /** A seek (new generation, or reconnection): what the server reported no longer holds. */
  reset(): void {
    this.received.clear();
    this.dropped.clear();
    this.missed.clear();
    this.holes.clear();
    this.overflowed.clear();
    this.attempts.clear();
    this.newest = -1;
  }

  /**
   * Indices to request now, given the frame on screen and whether a frame is in the buffer.
   * Counts them in `total` and against each frame's attempts.
   */
  plan(now: number, displayedIndex: number, have: (index: number) => boolean): number[] {
    const { behindFrames, aheadFrames, graceMs, maxBatch } = this.options;
    const lo = displayedIndex - behindFrames;
    const hi = displayedIndex + aheadFrames;
    this.forgetOutside(lo, hi);
    // holes: below the newest arrival, above the frame on screen
    const top = Math.min(this.newest - 1, hi);
    for (let i = Math.max(displayedIndex + 1, 0); i <= top; i++) {
      if (!this.received.has(i) && !this.dropped.has(i) && !have(i) && !this.holes.has(i)) this.holes.set(i, now);
    }
    const due: number[] = [];
    // a frame can be in more than one map (a hole later displayed, an overflowed hole)
    const chosen = new Set<number>();
    const consider = (index: number, since: number): void => {
      if (due.length >= maxBatch || index < 0 || chosen.has(index)) return;
      if (this.received.has(index) || this.dropped.has(index) || have(index)) return;
      if (now - since < graceMs || !this.mayAsk(index, now)) return;
      chosen.add(index);
      due.push(index);
    };
    for (const [index, since] of this.missed) consider(index, since);
    for (const [index, since] of this.holes) consider(index, since);
    for (const [index, since] of this.overflowed) consider(index, since);
    due.sort((a, b) => a - b);
    for (const index of due) {
      const record = this.attempts.get(index);
      this.attempts.set(index, { count: (record?.count ?? 0) + 1, at: now });
    }
    this.total += due.length;
    return due;
  }

  /** How often frame `index` was asked for again. */
  attemptsFor(index: number): number {
    return this.attempts.get(index)?.count ?? 0;
  }

  private mayAsk(index: number, now: number): boolean {
    const record = this.attempts.get(index);
    if (record === undefined) return true;
    return record.count < this.options.maxAttempts && now - record.at >= this.options.retryAfterMs;
  }

  private forgetOutside(lo: number, hi: number): void {
    for (const i of this.missed.keys()) if (i < lo || i > hi) this.missed.delete(i);
    for (const i of this.holes.keys()) if (i < lo || i > hi) this.holes.delete(i);
    for (const i of this.overflowed.keys()) if (i < lo || i > hi) this.overflowed.delete(i);
    // `received`, `dropped` and `attempts` stay small: trim them far outside the window
    const span = 4 * (hi - lo + 1);
    for (const set of [this.received, this.dropped]) {
      if (set.size > span) for (const i of set) if (i < lo - span || i > hi + span) set.delete(i);
    }
    if (this.attempts.size > span) {
      for (const i of this.attempts.keys()) if (i < lo - span || i > hi + span) this.attempts.delete(i);
    }
  }
}
