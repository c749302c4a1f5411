import { describe, expect, it } from "vitest";
import { RerequestPlanner } from "../../src/depth/rerequest";
import { DropReason } from "../../src/net/protocol";

const none = () => false;

describe("RerequestPlanner", () => {
  it("re-requests a displayed frame that never arrived and was never reported dropped", () => {
    const p = new RerequestPlanner({ graceMs: 100, retryAfterMs: 1000, maxAttempts: 3 });
    p.noteMissed(10, 0);
    expect(p.plan(50, 10, none)).toEqual([]); // within the grace period
    expect(p.plan(150, 10, none)).toEqual([10]);
    expect(p.plan(500, 10, none)).toEqual([]); // too soon to retry
    expect(p.plan(1200, 10, none)).toEqual([10]);
    expect(p.plan(2300, 10, none)).toEqual([10]);
    expect(p.plan(9999, 10, none)).toEqual([]); // at most maxAttempts
    expect(p.attemptsFor(10)).toBe(3);
    expect(p.total).toBe(3);
  });

  it("skips frames received or reported dropped, and those outside the window", () => {
    const p = new RerequestPlanner({ graceMs: 0, behindFrames: 4 });
    p.noteMissed(3, 0);
    p.noteMissed(20, 0);
    p.noteMissed(21, 0);
    p.noteMissed(22, 0);
    p.noteReceived(21);
    p.noteDropped([22], DropReason.STALE, 0);
    expect(p.plan(10, 23, none)).toEqual([20]); // 3 is far behind the frame on screen
    p.noteMissed(30, 0);
    expect(p.plan(20, 30, (i) => i === 30)).toEqual([]); // already in the buffer
  });

  it("finds holes below the newest arrival after a grace period", () => {
    const p = new RerequestPlanner({ graceMs: 500 });
    for (const i of [11, 12, 14, 15, 17]) p.noteReceived(i);
    p.noteDropped([16], DropReason.FAILED, 0);
    expect(p.plan(0, 10, none)).toEqual([]);
    expect(p.plan(600, 10, none)).toEqual([13]);
    p.noteReceived(13);
    expect(p.plan(5000, 10, none)).toEqual([]);
  });

  it("forgets everything on reset (seek or reconnection)", () => {
    const p = new RerequestPlanner({ graceMs: 0 });
    p.noteDropped([5], DropReason.CANCELLED, 0);
    p.noteMissed(5, 0);
    expect(p.plan(1, 5, none)).toEqual([]);
    p.reset();
    p.noteMissed(5, 0);
    expect(p.plan(1, 5, none)).toEqual([5]);
  });

  it("gives up frames dropped as stale, cancelled, failed or out of range", () => {
    const reasons = [DropReason.STALE, DropReason.CANCELLED, DropReason.FAILED, DropReason.OUT_OF_RANGE];
    const p = new RerequestPlanner({ graceMs: 0 });
    p.noteReceived(20);
    reasons.forEach((reason, k) => p.noteDropped([11 + k], reason, 0));
    expect(p.plan(10, 10, none)).toEqual([15, 16, 17, 18, 19]); // the holes, not the dropped
  });

  it("asks again for overflowed frames (computed, cached server-side) after the grace period", () => {
    const p = new RerequestPlanner({ graceMs: 500, retryAfterMs: 1000, maxAttempts: 2 });
    p.noteDropped([12, 13], DropReason.OVERFLOW, 100); // nothing arrived yet: not holes
    expect(p.plan(400, 11, none)).toEqual([]); // let the socket drain first
    expect(p.plan(700, 11, none)).toEqual([12, 13]);
    p.noteReceived(12);
    expect(p.plan(1800, 11, none)).toEqual([13]);
    expect(p.plan(9000, 11, none)).toEqual([]); // at most maxAttempts
    expect(p.total).toBe(3);
  });

  it("asks again for frames refused because too many requests were waiting", () => {
    const p = new RerequestPlanner({ graceMs: 500 });
    p.noteDropped([12], DropReason.REQUEST_LIMIT, 100);
    expect(p.plan(700, 11, none)).toEqual([12]);
  });

  it("takes an overflow back after a final drop, and a final drop after an overflow", () => {
    const p = new RerequestPlanner({ graceMs: 0 });
    p.noteDropped([12], DropReason.STALE, 0);
    p.noteDropped([12], DropReason.OVERFLOW, 0);
    p.noteDropped([13], DropReason.OVERFLOW, 0);
    p.noteDropped([13], DropReason.CANCELLED, 0);
    expect(p.plan(1, 10, none)).toEqual([12]);
  });

  it("asks once for a frame that is both a hole and overflowed", () => {
    const p = new RerequestPlanner({ graceMs: 0 });
    p.noteReceived(15);
    p.noteDropped([12], DropReason.OVERFLOW, 0);
    expect(p.plan(1, 10, none)).toEqual([11, 12, 13, 14]);
  });

  it("limits one request to maxBatch indices", () => {
    const p = new RerequestPlanner({ graceMs: 1, maxBatch: 5, aheadFrames: 500 });
    p.noteReceived(200);
    expect(p.plan(0, 0, none)).toEqual([]);
    expect(p.plan(1, 0, none)).toEqual([1, 2, 3, 4, 5]);
  });
});
