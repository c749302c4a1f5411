import { describe, expect, it } from "vitest";
import { FINAL_CLOSE_CODES, isSessionGone, ReconnectPolicy } from "../../src/net/backoff";
import { CloseCode } from "../../src/net/protocol";

describe("ReconnectPolicy", () => {
  it("grows the delay exponentially up to the cap", () => {
    const policy = new ReconnectPolicy({ initialMs: 100, maxMs: 1000, factor: 2, jitter: 0 });
    const delays = Array.from({ length: 8 }, () => policy.nextDelay());
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000, 1000, 1000]);
    expect(policy.attempts).toBe(8);
  });

  it("adds jitter below the nominal delay, never above it", () => {
    const low = new ReconnectPolicy({ initialMs: 1000, maxMs: 8000, jitter: 0.5 }, () => 1);
    const high = new ReconnectPolicy({ initialMs: 1000, maxMs: 8000, jitter: 0.5 }, () => 0);
    expect([low.nextDelay(), low.nextDelay()]).toEqual([500, 1000]);
    expect([high.nextDelay(), high.nextDelay()]).toEqual([1000, 2000]);
    const random = new ReconnectPolicy({ initialMs: 1000, maxMs: 60_000, jitter: 0.3 });
    for (let attempt = 0; attempt < 10; attempt++) {
      const nominal = Math.min(60_000, 1000 * 2 ** attempt);
      const d = random.nextDelay();
      expect(d).toBeGreaterThanOrEqual(Math.floor(nominal * 0.7));
      expect(d).toBeLessThanOrEqual(nominal);
    }
  });

  it("starts again from the initial delay after a success", () => {
    const policy = new ReconnectPolicy({ initialMs: 100, maxMs: 10_000, jitter: 0 });
    policy.nextDelay();
    policy.nextDelay();
    expect(policy.nextDelay()).toBe(400);
    policy.succeeded();
    expect(policy.attempts).toBe(0);
    expect(policy.nextDelay()).toBe(100);
  });

  it("does not reconnect after 1000, 4000, 4401, 4403, 4404, 4410 or 1002", () => {
    const policy = new ReconnectPolicy();
    for (const code of [1000, 4000, 4401, 4403, 4404, 4410, 1002]) {
      expect(FINAL_CLOSE_CODES.has(code)).toBe(true);
      expect(policy.shouldReconnect(code)).toBe(false);
    }
    // 4408: the server closed a client that stopped reading; a fresh connection may read.
    for (const code of [1001, 1006, 1011, 1012, 1013, 4408, 4429]) expect(policy.shouldReconnect(code)).toBe(true);
    expect(policy.shouldReconnect(CloseCode.SERVICE_RESTART)).toBe(true);
  });

  it("tells a lost session (4404, 4410) from other closes", () => {
    expect(isSessionGone(CloseCode.UNKNOWN_SESSION)).toBe(true);
    expect(isSessionGone(CloseCode.SESSION_DELETED)).toBe(true);
    for (const code of [CloseCode.NORMAL, CloseCode.PROTOCOL_MISMATCH, CloseCode.SERVICE_RESTART, 1006]) {
      expect(isSessionGone(code)).toBe(false);
    }
  });

  it("gives up after maxAttempts when one is set", () => {
    const policy = new ReconnectPolicy({ maxAttempts: 2 });
    expect(policy.shouldReconnect(1006)).toBe(true);
    policy.nextDelay();
    policy.nextDelay();
    expect(policy.shouldReconnect(1006)).toBe(false);
  });
});
