/**
 * When to reconnect the depth socket: exponential backoff with jitter, capped, reset after a
 * connection succeeds. Pure (random source injected) so it is unit tested.
 */
import { CloseCode } from "./protocol";

/** Close codes after which reconnecting cannot help (SERVICE_RESTART, 1012, is worth a retry). */
export const FINAL_CLOSE_CODES: ReadonlySet<number> = new Set<number>([
  CloseCode.NORMAL, // we (or the server) closed on purpose
  CloseCode.PROTOCOL_MISMATCH, // a reload of the page is needed
  CloseCode.UNKNOWN_SESSION, // the session never existed or expired
  CloseCode.SESSION_DELETED, // the session was deleted
  CloseCode.NOT_PAIRED, // LAN mode: this device must pair first
  CloseCode.CROSS_SITE, // the page is not the server's own
  CloseCode.SOURCE_ENDED, // a live session's source ended: the session is over
]);

export interface BackoffOptions {
  /** First delay in ms. */
  initialMs: number;
  /** Largest delay in ms (before jitter). */
  maxMs: number;
  /** Growth per failed attempt. */
  factor: number;
  /** Share of the delay that is randomised: the delay is drawn from [d·(1−j), d]. */
  jitter: number;
  /** Attempts before giving up; Infinity retries for ever. */
  maxAttempts: number;
}

export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = Object.freeze({
  initialMs: 500,
  maxMs: 15_000,
  factor: 2,
  jitter: 0.3,
  maxAttempts: Number.POSITIVE_INFINITY,
});

export class ReconnectPolicy {
  readonly options: BackoffOptions;
  private failures = 0;
  private readonly random: () => number;

  constructor(options: Partial<BackoffOptions> = {}, random: () => number = Math.random) {
    this.options = { ...DEFAULT_BACKOFF, ...options };
    this.random = random;
  }

  /** Consecutive failed attempts since the last success. */
  get attempts(): number {
    return this.failures;
  }

  /** Whether a close with this code should be followed by a reconnect. */
  shouldReconnect(code: number): boolean {
    return !FINAL_CLOSE_CODES.has(code) && this.failures < this.options.maxAttempts;
  }

  /** The delay before the next attempt, in ms; counts one more failure. */
  nextDelay(): number {
    const { initialMs, maxMs, factor, jitter } = this.options;
    const base = Math.min(maxMs, initialMs * Math.pow(factor, this.failures));
    this.failures += 1;
    const r = Math.min(Math.max(this.random(), 0), 1);
    return Math.round(base * (1 - jitter * r));
  }

  /** The connection worked: the next failure starts again from the initial delay. */
  succeeded(): void {
    this.failures = 0;
  }
}

/** Whether a close code means "the session is gone" (as opposed to a network problem). */
export function isSessionGone(code: number): boolean {
  return code === CloseCode.UNKNOWN_SESSION || code === CloseCode.SESSION_DELETED;
}
