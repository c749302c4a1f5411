import { describe, expect, it } from "vitest";
import { CaptureCredit } from "../../src/stream/captureCredit";
import {
  CreditLimit,
  median,
  MIN_ROUND_TRIPS,
  PROBE_INTERVAL_MS,
  ROUND_TRIP_WINDOW,
  roundTripOverheadMs,
  unansweredLimit,
} from "../../src/stream/creditLimit";

interface Sent {
  index: number;
  atMs: number;
  alone: boolean;
  echoMs: number | null;
}

interface Run {
  credit: CaptureCredit;
  sent: Sent[];
  /** The rule's limit after each second (index = second). */
  limits: number[];
  superseded: number;
  /** The most unanswered at once after `fromMs` (from the limit's change on). */
  peakAfter(fromMs: number): number;
  /** Median send-to-echo of frames sent in [fromMs, toMs). */
  medianRoundTrip(fromMs: number, toMs: number): number;
}

/**
 * A session in 1 ms steps: a 30 fps camera sends through a CaptureCredit; the server computes
 * one frame and holds one waiting (a newer one supersedes it), answers `oneWayMs` later, and
 * sends `stats` every second with the mean pass of that second (0 when none ended).
 */
function simulate(passMs: (nowMs: number) => number, oneWayMs: number, seconds: number): Run {
  const credit = new CaptureCredit();
  const sent: Sent[] = [];
  const arrivals = new Map<number, number[]>(); // at the server, by time
  const answers = new Map<number, { index: number; echo: boolean }[]>(); // at the client, by time
  const at = <T>(map: Map<number, T[]>, t: number, item: T) => map.set(t, [...(map.get(t) ?? []), item]);
  let computing: { index: number; endsMs: number; passMs: number } | null = null;
  let waiting: number | null = null;
  let passes: number[] = [];
  let superseded = 0;
  const unansweredAt: number[] = [];
  const limits: number[] = [];
  const start = (index: number, t: number) => {
    const pass = passMs(t);
    computing = { index, endsMs: t + pass, passMs: pass };
  };
  for (let t = 0; t < seconds * 1000; t += 1) {
    for (const index of arrivals.get(t) ?? []) {
      if (computing === null) start(index, t);
      else {
        if (waiting !== null) at(answers, t + oneWayMs, { index: waiting, echo: false });
        waiting = index;
      }
    }
    const ending = computing as { index: number; endsMs: number; passMs: number } | null;
    if (ending !== null && ending.endsMs === t) {
      at(answers, t + oneWayMs, { index: ending.index, echo: true });
      passes.push(ending.passMs);
      computing = null;
      if (waiting !== null) start(waiting, t);
      waiting = null;
    }
    for (const answer of answers.get(t) ?? []) {
      if (answer.echo) {
        credit.echo(answer.index, t);
        sent[answer.index].echoMs = t;
      } else {
        credit.answer(answer.index);
        superseded += 1;
      }
    }
    if (t > 0 && t % 1000 === 0) {
      credit.limits.notePass(passes.length === 0 ? 0 : passes.reduce((a, b) => a + b) / passes.length);
      passes = [];
      limits.push(credit.limit);
    }
    if (t % 33 === 0 && credit.canSend(t)) {
      const alone = credit.unanswered === 0;
      const index = credit.take(t);
      sent.push({ index, atMs: t, alone, echoMs: null });
      at(arrivals, t + oneWayMs, index);
    }
    unansweredAt.push(credit.unanswered);
  }
  return {
    credit,
    sent,
    limits,
    superseded,
    peakAfter: (fromMs) => Math.max(...unansweredAt.slice(fromMs)),
    medianRoundTrip: (fromMs, toMs) =>
      median(sent.filter((s) => s.atMs >= fromMs && s.atMs < toMs && s.echoMs !== null).map((s) => (s.echoMs as number) - s.atMs)),
  };
}

describe("the rule: one unanswered frame when passes are long against the round trip", () => {
  it("is 2 until a pass time and three round trips are known", () => {
    expect(unansweredLimit(null, [950, 960, 1000])).toBe(2);
    expect(unansweredLimit(900, [950, 960])).toBe(2);
    expect(roundTripOverheadMs(900, [950, 960])).toBeNull();
    expect(MIN_ROUND_TRIPS).toBe(3);
  });

  it("is 1 when the round trip beyond a pass is at most a quarter of it, else 2", () => {
    expect(unansweredLimit(900, [950, 1000, 960])).toBe(1); // a CPU: R = 60 ms against 900
    expect(unansweredLimit(900, [1200, 1130, 1125])).toBe(2); // R = 1130 - 900 = 230 > 225
    expect(roundTripOverheadMs(900, [1200, 1130, 1125])).toBe(230);
    expect(unansweredLimit(30, [60, 70, 65])).toBe(2); // a GPU: R = 35 ms against 30
    expect(unansweredLimit(30, [36, 37, 35])).toBe(1); // R = 6 ms: the model hardly waits
    expect(unansweredLimit(100, [125, 125, 125])).toBe(1); // R = 0.25 P exactly: not over
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});

describe("CreditLimit", () => {
  it("ignores a second with no pass, and keeps the last ten round trips", () => {
    const limits = new CreditLimit();
    limits.notePass(0);
    expect(limits.passMs).toBeNull();
    limits.notePass(900);
    limits.notePass(0); // nothing computed that second: the pass time stands
    expect(limits.passMs).toBe(900);
    for (let i = 0; i < 3; i += 1) limits.noteRoundTrip(2000); // a slow start
    expect(limits.limit).toBe(2);
    for (let i = 0; i < ROUND_TRIP_WINDOW; i += 1) limits.noteRoundTrip(950);
    expect(limits.roundTrips).toHaveLength(ROUND_TRIP_WINDOW);
    expect(limits.overheadMs).toBe(50);
    expect(limits.limit).toBe(1);
  });

  it("at 2, every 5 s lets a frame go only when none is unanswered (a probe)", () => {
    const credit = new CaptureCredit();
    expect(credit.canSend(0)).toBe(true);
    credit.take(0); // alone: the first probe
    expect(credit.canSend(33)).toBe(true);
    credit.take(33);
    expect(credit.canSend(PROBE_INTERVAL_MS - 1)).toBe(false); // two unanswered
    credit.answer(0);
    expect(credit.canSend(PROBE_INTERVAL_MS - 1)).toBe(true);
    expect(credit.canSend(PROBE_INTERVAL_MS)).toBe(false); // a probe is due: wait for none
    expect(credit.echo(1, PROBE_INTERVAL_MS)).toBe(true); // not sent alone: no round trip
    expect(credit.limits.roundTrips).toEqual([]);
    expect(credit.canSend(PROBE_INTERVAL_MS)).toBe(true);
    const probe = credit.take(PROBE_INTERVAL_MS);
    expect(credit.canSend(PROBE_INTERVAL_MS + 33)).toBe(true); // the probe is out: 2 again
    credit.take(PROBE_INTERVAL_MS + 33);
    credit.echo(probe, PROBE_INTERVAL_MS + 980);
    expect(credit.limits.roundTrips).toEqual([980]);
  });

  it("takes a round trip only from the echo of the very frame sent alone", () => {
    const credit = new CaptureCredit();
    credit.take(0); // alone
    credit.take(10);
    expect(credit.echo(1, 900)).toBe(true); // answers frame 0 too, but frame 0's picture never came
    expect(credit.limits.roundTrips).toEqual([]);
    credit.take(1000); // alone
    credit.answer(2); // dropped: no round trip either
    expect(credit.limits.roundTrips).toEqual([]);
  });
});

describe("a simulated session", () => {
  it("long passes (a CPU): starts at 2, goes to 1 once probes measured the round trip, and halves the wait", () => {
    const run = simulate(() => 900, 40, 30);
    expect(run.limits[0]).toBe(2); // nothing known yet
    const switched = run.limits.indexOf(1);
    expect(switched).toBeGreaterThan(0);
    expect(switched).toBeLessThan(15); // the first frame and two probes, 5 s apart
    expect(run.limits.slice(switched)).toEqual(run.limits.slice(switched).map(() => 1));
    const fromMs = (switched + 1) * 1000;
    expect(run.peakAfter(fromMs)).toBe(1);
    expect(run.sent.filter((s) => s.atMs >= fromMs).every((s) => s.alone)).toBe(true);
    expect(run.credit.limits.overheadMs).toBeGreaterThan(0);
    expect(run.credit.limits.overheadMs).toBeLessThan(120); // 2 × 40 ms and the camera's tick
    // at 2 the waiting frame waits a whole pass; at 1 a frame takes one pass and the trip
    const atTwo = run.medianRoundTrip(1000, 5000);
    const atOne = run.medianRoundTrip(fromMs, 28_000);
    expect(atTwo).toBeGreaterThan(1600);
    expect(atOne).toBeLessThan(1050);
  });

  it("short passes with a real round trip (a GPU): stays at 2, probing every 5 s", () => {
    const run = simulate(() => 30, 15, 30);
    expect(run.limits.every((limit) => limit === 2)).toBe(true);
    expect(run.credit.limits.overheadMs).toBeGreaterThan(7.5);
    const alone = run.sent.filter((s) => s.alone).map((s) => s.atMs);
    expect(alone.length).toBeGreaterThanOrEqual(6); // 0 s, then one probe each 5 s
    expect(alone.length).toBeLessThanOrEqual(7);
    for (let i = 1; i < alone.length; i += 1) {
      expect(alone[i] - alone[i - 1]).toBeGreaterThanOrEqual(PROBE_INTERVAL_MS);
      expect(alone[i] - alone[i - 1]).toBeLessThan(PROBE_INTERVAL_MS + 200);
    }
    expect(run.credit.limits.roundTrips.length).toBe(alone.length);
    expect(run.peakAfter(0)).toBe(2);
  });

  it("goes back to 2 when the passes become short against the round trip", () => {
    const run = simulate((t) => (t < 20_000 ? 900 : 30), 40, 30);
    expect(run.limits[18]).toBe(1);
    expect(run.limits.at(-1)).toBe(2); // at 1 every frame measures the round trip
    expect(run.credit.limits.overheadMs).toBeGreaterThan(60);
  });
});
