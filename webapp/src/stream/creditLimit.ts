/**
 * How many captured frames a browser source keeps unanswered: 2 or 1, latency first.
 *
 * With 2, the server has the next frame waiting when a pass ends, so the model never waits for
 * the round trip; but that frame waits a whole pass itself. With 1, a frame is computed as soon
 * as it arrives, and the model idles through the round trip. Measured on a 2-core CPU
 * (random:da3-small, process_res 504, 720p frames): passes of ~800-950 ms, capture-to-depth
 * p50 ~1640 ms with 2 unanswered and ~0.9-1.0 s with 1, for only ~10-15 % fewer depth frames
 * per second. On a GPU (passes of ~30 ms, round trips of ~20-40 ms) the round trip is a real
 * gap in the model's work, and 2 keeps it busy.
 *
 * The rule: P is the server's pass time (`stats.timings.inference_ms`, the mean over its last
 * second; 0, when no frame was computed, is ignored), R the median round trip (send to echo)
 * of the last ROUND_TRIP_WINDOW frames sent alone (nothing else unanswered) minus P. Keep 2
 * when R > GAP_SHARE * P, else 1; 2 until P is known and MIN_ROUND_TRIPS round trips are.
 * At 2 no frame goes alone, so every PROBE_INTERVAL_MS one waits until none is unanswered
 * (a probe) to keep R current. Pure: the clock is passed in.
 */

/** The most frames unanswered: one computing, one waiting (the server holds no more). */
export const MAX_UNANSWERED = 2;
/** Round trips of frames sent alone kept for R's median. */
export const ROUND_TRIP_WINDOW = 10;
/** Round trips needed before R is trusted. */
export const MIN_ROUND_TRIPS = 3;
/** R over this share of a pass is a gap in the model's work worth a second frame in flight. */
export const GAP_SHARE = 0.25;
/** At 2 unanswered, a frame goes alone this often, to measure the round trip. */
export const PROBE_INTERVAL_MS = 5_000;

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** R: the median round trip of frames sent alone less a pass; null until both are known. */
export function roundTripOverheadMs(passMs: number | null, roundTripsMs: readonly number[]): number | null {
  if (passMs === null || roundTripsMs.length < MIN_ROUND_TRIPS) return null;
  return median(roundTripsMs) - passMs;
}

/** The rule: 2 while the round trip is a real gap in the model's work (or is not known), else 1. */
export function unansweredLimit(passMs: number | null, roundTripsMs: readonly number[]): number {
  const overhead = roundTripOverheadMs(passMs, roundTripsMs);
  if (passMs === null || overhead === null) return MAX_UNANSWERED;
  return overhead > GAP_SHARE * passMs ? MAX_UNANSWERED : 1;
}

export class CreditLimit {
  /** P, ms: the last `stats` pass time that computed a frame; null until one did. */
  passMs: number | null = null;
  private readonly roundTripsMs: number[] = [];
  private lastAloneMs = -Infinity;

  /** How many may be unanswered (1 or 2), by the rule. */
  get limit(): number {
    return unansweredLimit(this.passMs, this.roundTripsMs);
  }

  /** R, ms; null until known. */
  get overheadMs(): number | null {
    return roundTripOverheadMs(this.passMs, this.roundTripsMs);
  }

  /** Round trips measured so far (at most ROUND_TRIP_WINDOW kept). */
  get roundTrips(): readonly number[] {
    return this.roundTripsMs;
  }

  /** The server's `stats.timings.inference_ms` (0: it computed nothing that second). */
  notePass(inferenceMs: number): void {
    if (Number.isFinite(inferenceMs) && inferenceMs > 0) this.passMs = inferenceMs;
  }

  /** A frame sent alone came back (its echo) `roundTripMs` after it was sent. */
  noteRoundTrip(roundTripMs: number): void {
    this.roundTripsMs.push(roundTripMs);
    if (this.roundTripsMs.length > ROUND_TRIP_WINDOW) this.roundTripsMs.shift();
  }

  /** A frame was sent at `nowMs`; `alone` when nothing else was unanswered. */
  noteSent(nowMs: number, alone: boolean): void {
    if (alone) this.lastAloneMs = nowMs;
  }

  /** How many may be unanswered before the next send at `nowMs`: 1 when a probe is due. */
  allowedAt(nowMs: number): number {
    const limit = this.limit;
    return limit > 1 && nowMs - this.lastAloneMs >= PROBE_INTERVAL_MS ? 1 : limit;
  }
}
