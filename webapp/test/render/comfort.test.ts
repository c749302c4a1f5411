import { describe, expect, it } from "vitest";
import {
  COMFORT_SHARE,
  ComfortController,
  disparityShare,
  MAX_DISPARITY_SHARE,
  MAX_FOCUS_RATE,
  zeroParallaxDepth,
  type DepthSpan,
} from "../../src/render/comfort";

/** k for a 60° horizontal field of view. */
const K = 1 / (2 * Math.tan(Math.PI / 6));
const FRAME_MS = 1000 / 30;

/** The larger |disparity| of `span` with these parameters. */
function worst(c: ComfortController, span: DepthSpan, t: number): number {
  const p = c.update(span, t, K);
  return Math.max(Math.abs(disparityShare(p.eyeSep, K, p.focus, span.near)), Math.abs(disparityShare(p.eyeSep, K, p.focus, span.far)));
}

/** A depth sequence that jumps: 1 s a near room, 1 s a far landscape, a close-up, noise. */
function jumpingTrace(): DepthSpan[] {
  const scenes: DepthSpan[] = [
    { near: 1.2, far: 4 },
    { near: 8, far: 400 },
    { near: 0.3, far: 0.6 },
    { near: 2, far: 2.1 },
    { near: 0.5, far: 50 },
  ];
  const trace: DepthSpan[] = [];
  let seed = 7;
  const noise = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return 1 + 0.1 * (seed / 2147483648 - 0.5);
  };
  for (let i = 0; i < 10 * 30; i++) {
    const scene = scenes[Math.floor(i / 20) % scenes.length] as DepthSpan;
    trace.push({ near: scene.near * noise(), far: scene.far * noise() });
  }
  return trace;
}

describe("ComfortController", () => {
  it("keeps every frame's disparity within 3 % of the width on a depth sequence that jumps", () => {
    const c = new ComfortController();
    let largest = 0;
    jumpingTrace().forEach((span, i) => {
      largest = Math.max(largest, worst(c, span, i * FRAME_MS));
    });
    expect(largest).toBeLessThanOrEqual(COMFORT_SHARE + 1e-9);
    // and it uses the budget: a steady scene settles at the bound
    for (let i = 0; i < 120; i++) worst(c, { near: 1.2, far: 4 }, 10_000 + i * FRAME_MS);
    expect(worst(c, { near: 1.2, far: 4 }, 14_000)).toBeCloseTo(COMFORT_SHARE, 4);
  });

  it("puts the zero-parallax plane a quarter of the way back, so most of the scene is behind the screen", () => {
    const c = new ComfortController();
    const p = c.update({ near: 1, far: 3 }, 0, K);
    expect(p.focus).toBeCloseTo(zeroParallaxDepth({ near: 1, far: 3 }, 0.25), 9);
    expect(p.nearShare).toBeGreaterThan(0);
    expect(p.farShare).toBeLessThan(0);
    expect(Math.abs(p.farShare)).toBeCloseTo(COMFORT_SHARE, 9);
    expect(p.nearShare / -p.farShare).toBeCloseTo(1 / 3, 6);
  });

  it("does not pump: per-frame noise of ±5 % moves the convergence and separation by little", () => {
    const c = new ComfortController();
    const foci: number[] = [];
    const seps: number[] = [];
    jumpingTrace().slice(0, 20).forEach((s, i) => {
      const p = c.update(s, i * FRAME_MS, K);
      foci.push(p.focus);
      seps.push(p.eyeSep);
    });
    const spread = (xs: number[]): number => Math.max(...xs) / Math.min(...xs) - 1;
    expect(spread(foci.slice(5))).toBeLessThan(0.03);
    expect(spread(seps.slice(5))).toBeLessThan(0.08);
  });

  it("moves the zero-parallax plane at a bounded rate after a jump", () => {
    const c = new ComfortController();
    let last = c.update({ near: 1, far: 2 }, 0, K).focus;
    for (let i = 1; i < 60; i++) {
      const focus = c.update({ near: 10, far: 40 }, i * FRAME_MS, K).focus;
      expect(Math.abs(Math.log(focus / last))).toBeLessThanOrEqual(MAX_FOCUS_RATE * (FRAME_MS / 1000) + 1e-9);
      last = focus;
    }
    expect(last).toBeGreaterThan(2); // on its way
  });

  it("shrinks at once and grows back slowly", () => {
    const c = new ComfortController();
    const far = c.update({ near: 5, far: 20 }, 0, K).eyeSep;
    const near = c.update({ near: 0.5, far: 2 }, FRAME_MS, K).eyeSep;
    expect(near).toBeLessThan(far / 5);
    const later = c.update({ near: 5, far: 20 }, 2 * FRAME_MS, K).eyeSep;
    expect(later / near).toBeLessThan(1.05);
  });

  it("strength scales the budget, up to the cap", () => {
    const c = new ComfortController();
    c.settings.strength = 0.5;
    expect(worst(c, { near: 1, far: 3 }, 0)).toBeCloseTo(COMFORT_SHARE / 2, 9);
    const d = new ComfortController();
    d.settings.strength = 2;
    expect(worst(d, { near: 1, far: 3 }, 0)).toBeCloseTo(Math.min(2 * COMFORT_SHARE, MAX_DISPARITY_SHARE), 9);
  });

  it("manual: the user's separation, capped at the largest disparity", () => {
    const c = new ComfortController();
    c.settings = { ...c.settings, auto: false, eyeSep: 0.01 };
    expect(c.update({ near: 1, far: 3 }, 0, K).eyeSep).toBe(0.01);
    c.settings.eyeSep = 10;
    expect(worst(c, { near: 1, far: 3 }, FRAME_MS)).toBeCloseTo(MAX_DISPARITY_SHARE, 9);
    c.settings.eyeSep = 0;
    expect(c.update({ near: 1, far: 3 }, 2 * FRAME_MS, K).eyeSep).toBe(0);
  });

  it("a flat scene or no depth yet gives finite parameters", () => {
    const c = new ComfortController();
    const none = c.update(null, 0, K);
    expect(none.eyeSep).toBe(0);
    const flat = c.update({ near: 2, far: 2 }, 10, K);
    expect(Number.isFinite(flat.eyeSep) && flat.eyeSep > 0).toBe(true);
    expect(Math.abs(flat.nearShare)).toBeLessThanOrEqual(COMFORT_SHARE + 1e-9);
  });
});
