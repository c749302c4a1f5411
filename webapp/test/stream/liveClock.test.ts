import { describe, expect, it } from "vitest";
import { captureLatencyMs, LatencyWindow, OFFSET_SAMPLES, ServerClock } from "../../src/stream/liveClock";

describe("ServerClock", () => {
  it("estimates the server's clock offset from the pong with the shortest round trip", () => {
    const clock = new ServerClock();
    expect(clock.offsetMs).toBeNull();
    const trueOffset = 2500; // the server runs 2.5 s ahead
    // a slow round trip whose pong was answered late in it: off by 150 ms
    clock.addPong(1_000_000, 1_000_400, (1_000_000 + 350 + trueOffset) / 1000);
    expect(clock.offsetMs).toBeCloseTo(trueOffset + 150, 6);
    // a quick one: within its 10 ms round trip
    clock.addPong(1_001_000, 1_001_010, (1_001_000 + 4 + trueOffset) / 1000);
    expect(Math.abs((clock.offsetMs as number) - trueOffset)).toBeLessThanOrEqual(5);
    expect(clock.bestRttMs).toBe(10);
  });

  it("forgets old samples and ignores impossible ones", () => {
    const clock = new ServerClock();
    clock.addPong(0, 2, 0.001); // offset 0, rtt 2
    for (let i = 1; i <= OFFSET_SAMPLES; i++) clock.addPong(i * 1000, i * 1000 + 50, (i * 1000 + 25 + 700) / 1000);
    expect(clock.offsetMs).toBeCloseTo(700, 6); // the quick old sample was pushed out
    clock.addPong(5000, 4000, 1); // received before sent
    clock.addPong(5000, 5001, Number.NaN);
    expect(clock.offsetMs).toBeCloseTo(700, 6);
    clock.reset();
    expect(clock.offsetMs).toBeNull();
  });
});

describe("capture-to-display latency", () => {
  it("is the display time minus the capture time, on the capturer's clock", () => {
    expect(captureLatencyMs(1_796_000_000_000_000, 1_796_000_000_250, 0)).toBe(250);
    // a network source: captured on the server's clock, 2.5 s ahead of this one
    expect(captureLatencyMs((1_796_000_000_000 + 2500) * 1000, 1_796_000_000_300, 2500)).toBe(300);
  });

  it("reports the last value and the p50 over the last 2 s", () => {
    const window = new LatencyWindow(2000);
    expect(window.p50(0)).toBeNull();
    window.add(0, 900);
    window.add(1000, 100);
    window.add(1500, 300);
    window.add(1900, 200);
    expect(window.last).toBe(200);
    expect(window.p50(1900)).toBe(250); // median of 900, 100, 300, 200
    expect(window.p50(2500)).toBe(200); // the 900 at t=0 left the window
    expect(window.rate(2500)).toBe(1.5); // 3 shown in 2 s
    expect(window.p50(10_000)).toBeNull();
    expect(window.last).toBe(200);
  });
});
