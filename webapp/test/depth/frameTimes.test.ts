import { describe, expect, it } from "vitest";
import { FrameTimes, MEDIA_TIME_TOLERANCE_S } from "../../src/depth/frameTimes";

/** As the server sends them: i / fps rounded to 6 decimals. */
function cfr(fps: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.round((i / fps) * 1e6) / 1e6);
}

const VFR_MS = [0, 33, 50, 100, 133, 250, 266, 400, 433, 500, 700, 716, 733, 1000];

describe("FrameTimes", () => {
  for (const fps of [24, 30, 60, 30000 / 1001]) {
    it(`maps media time to the exact frame at ${fps.toFixed(3)} fps`, () => {
      const times = new FrameTimes(cfr(fps, 600));
      for (let i = 0; i < 600; i++) {
        const t = i / fps;
        expect(times.indexForMediaTime(t)).toBe(i); // exactly on the boundary
        expect(times.indexForMediaTime(t + 0.5 / fps)).toBe(i); // middle of the frame
        if (i > 0) {
          expect(times.indexForMediaTime(t - 0.002)).toBe(i - 1); // just before: the previous frame
          expect(times.indexForMediaTime(t - MEDIA_TIME_TOLERANCE_S / 2)).toBe(i); // rounding slack
        }
      }
    });
  }

  it("maps a variable-frame-rate table exactly", () => {
    const times = new FrameTimes(VFR_MS.map((ms) => ms / 1000));
    VFR_MS.forEach((ms, i) => {
      expect(times.indexForMediaTime(ms / 1000)).toBe(i);
      expect(times.indexForMediaTime(ms / 1000 + 0.0005)).toBe(i);
      if (i > 0) expect(times.indexForMediaTime(ms / 1000 - 0.001)).toBe(i - 1);
    });
    expect(times.indexForMediaTime(0.6)).toBe(9); // a long frame: 500..700 ms
    expect(times.indexForMediaTime(5)).toBe(VFR_MS.length - 1); // past the end: the last frame
  });

  it("subtracts the stream start time and clamps at frame 0", () => {
    const times = new FrameTimes(cfr(30, 90), 1.5);
    expect(times.indexForMediaTime(1.5)).toBe(0);
    expect(times.indexForMediaTime(0.2)).toBe(0);
    expect(times.indexForMediaTime(1.5 + 10 / 30)).toBe(10);
    expect(times.indexForMediaTime(1.5 + 10 / 30 - 0.003)).toBe(9);
    expect(times.toIndexTime(1.0)).toBe(0);
    expect(times.toMediaTime(times.time(10))).toBeCloseTo(1.5 + 10 / 30, 6);
  });

  it("gives a media time inside each frame for frame stepping", () => {
    const times = new FrameTimes(VFR_MS.map((ms) => ms / 1000), 0.25);
    for (let i = 0; i < VFR_MS.length; i++) expect(times.indexForMediaTime(times.mediaTimeInside(i))).toBe(i);
  });

  it("rejects empty and decreasing tables", () => {
    expect(() => new FrameTimes([])).toThrow();
    expect(() => new FrameTimes([0, 0.1, 0.05])).toThrow(/decrease/);
  });
});
