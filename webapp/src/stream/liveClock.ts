/**
 * Capture-to-display latency of a live session, and the server's clock.
 *
 * A frame's `capture_us` is on the clock of whoever captured it: this browser's for the frames
 * it sent, the server's for a network source. The server's clock is this one plus an offset,
 * estimated from ping/pong as NTP does: the pong's `server_time_s` was read about halfway
 * through the round trip, so the estimate errs by at most half the round trip, and the ping
 * with the shortest round trip of the last few is the one trusted. Pure: times are passed in.
 */

/** Pongs the offset is chosen from (the shortest round trip among them). */
export const OFFSET_SAMPLES = 8;
/** The latency's p50 covers this much of the past. */
export const LATENCY_WINDOW_MS = 2000;

/** Now on the Unix-epoch clock, in ms (what `capture_us / 1000` is on, for this browser). */
export function epochNowMs(): number {
  return performance.timeOrigin + performance.now();
}

export class ServerClock {
  private readonly samples: Array<{ rttMs: number; offsetMs: number }> = [];

  /**
   * A pong: the ping left at `sentEpochMs`, the pong came back at `receivedEpochMs` (both this
   * browser's epoch clock), with the server's `server_time_s`.
   */
  addPong(sentEpochMs: number, receivedEpochMs: number, serverTimeS: number): void {
    const rttMs = receivedEpochMs - sentEpochMs;
    if (!(rttMs >= 0) || !Number.isFinite(serverTimeS)) return;
    this.samples.push({ rttMs, offsetMs: serverTimeS * 1000 - (sentEpochMs + rttMs / 2) });
    if (this.samples.length > OFFSET_SAMPLES) this.samples.shift();
  }

  /** The server's clock minus this one, in ms (null before the first pong). */
  get offsetMs(): number | null {
    if (this.samples.length === 0) return null;
    return this.samples.reduce((best, s) => (s.rttMs < best.rttMs ? s : best)).offsetMs;
  }

  /** The round trip of the sample trusted (how far off the offset may be, doubled). */
  get bestRttMs(): number | null {
    if (this.samples.length === 0) return null;
    return Math.min(...this.samples.map((s) => s.rttMs));
  }

  reset(): void {
    this.samples.length = 0;
  }
}

/** Latency of a frame captured at `captureUs` (its capturer's clock) shown at `shownEpochMs` (ours). */
export function captureLatencyMs(captureUs: number, shownEpochMs: number, capturerOffsetMs: number): number {
  return shownEpochMs + capturerOffsetMs - captureUs / 1000;
}

/** The last latency, and the p50 over the last LATENCY_WINDOW_MS. */
export class LatencyWindow {
  private readonly samples: Array<{ at: number; ms: number }> = [];
  last: number | null = null;

  constructor(readonly windowMs = LATENCY_WINDOW_MS) {}

  add(atMs: number, latencyMs: number): void {
    this.last = latencyMs;
    this.samples.push({ at: atMs, ms: latencyMs });
    this.trim(atMs);
  }

  /** The median of the samples within the window before `nowMs` (null: none). */
  p50(nowMs: number): number | null {
    this.trim(nowMs);
    if (this.samples.length === 0) return null;
    const sorted = this.samples.map((s) => s.ms).sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  }

  /** Events per second within the window (the samples are the frames shown). */
  rate(nowMs: number): number {
    this.trim(nowMs);
    return (this.samples.length * 1000) / this.windowMs;
  }

  private trim(nowMs: number): void {
    while (this.samples.length > 0 && nowMs - (this.samples[0] as { at: number }).at > this.windowMs) this.samples.shift();
  }
}
