import { describe, expect, it } from "vitest";
import { ANSWER_TIMEOUT_MS, CaptureCredit, MAX_UNANSWERED } from "../../src/stream/captureCredit";

describe("CaptureCredit", () => {
  it("allows two unanswered frames, then one more per answer", () => {
    const credit = new CaptureCredit();
    expect(MAX_UNANSWERED).toBe(2);
    expect(credit.canSend(0)).toBe(true);
    expect(credit.take(0)).toBe(0);
    expect(credit.canSend(1)).toBe(true);
    expect(credit.take(1)).toBe(1);
    expect(credit.canSend(2)).toBe(false);
    expect(credit.unanswered).toBe(2);
    expect(credit.answer(0)).toBe(true); // the echo of frame 0
    expect(credit.canSend(3)).toBe(true);
    expect(credit.take(3)).toBe(2); // indices are never reused
    expect(credit.answer(1)).toBe(true); // `dropped` superseded
    expect(credit.answer(1)).toBe(false); // answered once only
    expect(credit.answer(42)).toBe(false); // not ours
    expect(credit).toMatchObject({ sent: 3, answered: 2, forgotten: 0, peakUnanswered: 2 });
  });

  it("a simulated session never has more than two unanswered, and keeps sending", () => {
    const credit = new CaptureCredit();
    const inFlight: number[] = [];
    let shown = 0;
    for (let t = 0; t < 10_000; t += 33) {
      // the camera has a frame every 33 ms; the server answers the oldest every 100 ms
      if (t % 99 === 0 && inFlight.length > 0) {
        credit.answer(inFlight.shift() as number);
        shown += 1;
      }
      if (credit.canSend(t)) inFlight.push(credit.take(t));
      expect(credit.unanswered).toBeLessThanOrEqual(2);
    }
    expect(shown).toBeGreaterThan(90);
    expect(credit.peakUnanswered).toBe(2);
  });

  it("gives up frames never answered, so a lost answer does not stop the capture", () => {
    const credit = new CaptureCredit();
    credit.take(0);
    credit.take(10);
    credit.answer(1); // frame 0's answer is lost
    // a probe is due (creditLimit.ts): it waits for none unanswered, which frame 0 holds off
    expect(credit.canSend(ANSWER_TIMEOUT_MS - 1)).toBe(false);
    expect(credit.canSend(ANSWER_TIMEOUT_MS)).toBe(true); // frame 0 timed out
    expect(credit.forgotten).toBe(1);
    expect(credit.unanswered).toBe(0);
  });

  it("reset() forgets what a closed connection left unanswered; cancel() undoes a take", () => {
    const credit = new CaptureCredit();
    credit.take(0);
    credit.take(0);
    credit.reset();
    expect(credit.unanswered).toBe(0);
    expect(credit.forgotten).toBe(2);
    const index = credit.take(1);
    credit.cancel(index);
    expect(credit).toMatchObject({ sent: 2, unanswered: 0 });
    expect(credit.answer(0)).toBe(false); // an old connection's late answer changes nothing
  });

  it("an echo answers the older frames too (a busy socket got only the newest pair)", () => {
    const credit = new CaptureCredit();
    credit.take(0);
    credit.take(0);
    credit.take(0);
    expect(credit.echo(1, 500)).toBe(true); // frame 0's pair was overwritten before it was sent
    expect(credit.unanswered).toBe(1);
    expect(credit.echo(1, 600)).toBe(false);
    expect(credit.answer(2)).toBe(true);
    expect(credit).toMatchObject({ answered: 3, unanswered: 0 });
  });
});
