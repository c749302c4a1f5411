import { describe, expect, it } from "vitest";
import {
  DEFAULT_TUNING,
  QualityController,
  isQualityChoice,
  settingsFor,
  type QualityLevel,
  type QualitySample,
} from "../../src/stream/qualityController";

/** What the viewer would measure at a level, at time t (ms). */
interface Conditions {
  ownShare: number;
  depthFps: number;
  bufferAheadMs: number;
  latePerS?: number;
  frameMs?: number | null;
  playing?: boolean;
  /** The server's mean write time per frame (stats.timings.send_ms); null: no stats yet. */
  serverSendMs?: number | null;
}

const VIDEO_FPS = 24;
const TARGET_AHEAD_MS = 2000;

/**
 * Feed the controller a synthetic trace: every `stepMs`, counters grow as `env` says for the
 * level the controller is at. Returns the levels seen at each step.
 */
const counters = new WeakMap<QualityController, { displayed: number; own: number; late: number }>();

function run(
  controller: QualityController,
  env: (level: QualityLevel, t: number) => Conditions,
  durationMs: number,
  stepMs = 500,
  startMs = 0,
): QualityLevel[] {
  const kept = counters.get(controller) ?? { displayed: 0, own: 0, late: 0 };
  counters.set(controller, kept);
  let { displayed, own, late } = kept;
  const levels: QualityLevel[] = [];
  for (let t = startMs; t <= startMs + durationMs; t += stepMs) {
    const c = env(controller.level, t);
    const playing = c.playing ?? true;
    if (playing) {
      const frames = (VIDEO_FPS * stepMs) / 1000;
      displayed += frames;
      own += frames * c.ownShare;
      late += ((c.latePerS ?? 0) * stepMs) / 1000;
    }
    const sample: QualitySample = {
      timeMs: t,
      playing,
      videoFps: VIDEO_FPS,
      depthFps: c.depthFps,
      bufferAheadMs: c.bufferAheadMs,
      targetAheadMs: TARGET_AHEAD_MS,
      displayed: Math.round(displayed),
      withOwnDepth: Math.round(own),
      late: Math.round(late),
      frameMs: c.frameMs ?? 16,
      serverSendMs: c.serverSendMs === undefined ? null : c.serverSendMs,
    };
    controller.update(sample);
    levels.push(controller.level);
  }
  Object.assign(kept, { displayed, own, late });
  return levels;
}

const keepingUp: Conditions = { ownShare: 1, depthFps: VIDEO_FPS, bufferAheadMs: 1900 };
const fallingBehind: Conditions = { ownShare: 0.35, depthFps: 9, bufferAheadMs: 0 };

describe("settingsFor", () => {
  const base = { density: 256, downsample: 1, ahead: 2, maxInflight: 8 };

  it("quality is the URL's settings; each step down halves density and doubles downsample", () => {
    expect(settingsFor("quality", base)).toEqual(base);
    expect(settingsFor("balanced", base)).toEqual({ density: 128, downsample: 2, ahead: 3, maxInflight: 8 });
    expect(settingsFor("smooth", base)).toEqual({ density: 64, downsample: 4, ahead: 4, maxInflight: 8 });
  });

  it("stays within what the server and the mesh accept", () => {
    const s = settingsFor("smooth", { density: 32, downsample: 8, ahead: 40, maxInflight: 4 });
    expect(s).toEqual({ density: 16, downsample: 16, ahead: 60, maxInflight: 4 });
  });

  it("knows its choices", () => {
    expect(["auto", "smooth", "balanced", "quality"].every(isQualityChoice)).toBe(true);
    expect(isQualityChoice("high")).toBe(false);
  });
});

describe("QualityController", () => {
  it("keeps quality while the viewer keeps up", () => {
    const c = new QualityController("auto");
    run(c, () => keepingUp, 120_000);
    expect(c.level).toBe("quality");
    expect(c.history).toEqual([]);
  });

  it("steps down quickly when depth falls behind, and says why", () => {
    const c = new QualityController("auto");
    const levels = run(c, () => fallingBehind, 12_000);
    // one step within ~3 s of evidence (window filled + down hold), the next after settling
    const firstDown = levels.indexOf("balanced");
    expect(firstDown).toBeGreaterThan(0);
    expect(firstDown * 500).toBeLessThanOrEqual(3500);
    expect(c.level).toBe("smooth");
    expect(c.history.map((h) => h.to)).toEqual(["balanced", "smooth"]);
    expect(c.history[0]?.reason).toBe("depth 9.0 fps < video 24 fps");
    expect(c.label).toBe("smooth (auto): depth 9.0 fps < video 24 fps");
    expect(c.history.every((h) => h.auto)).toBe(true);
  });

  it("steps down for a low own-depth share, late frames or slow rendering, each with its reason", () => {
    const cases: Array<[Conditions, RegExp]> = [
      [{ ownShare: 0.6, depthFps: 24, bufferAheadMs: 1500 }, /^own depth on 60 % of frames$/],
      [{ ownShare: 0.95, depthFps: 24, bufferAheadMs: 1500, latePerS: 5 }, /depth frames late or dropped$/],
      [{ ownShare: 1, depthFps: 24, bufferAheadMs: 1500, frameMs: 120 }, /^render 120 ms per frame > 42 ms$/],
    ];
    for (const [conditions, reason] of cases) {
      const c = new QualityController("auto");
      run(c, () => conditions, 5000);
      expect(c.level).toBe("balanced");
      expect(c.history[0]?.reason).toMatch(reason);
    }
  });

  it("steps up slowly, only after a long stretch with room", () => {
    const c = new QualityController("auto", DEFAULT_TUNING, "smooth");
    const levels = run(c, () => keepingUp, 40_000);
    const firstUp = levels.indexOf("balanced");
    expect(firstUp * 500).toBeGreaterThanOrEqual(DEFAULT_TUNING.upAfterMs);
    expect(c.level).toBe("quality");
    expect(c.history[0]?.reason).toMatch(/^room: own depth 100 %, buffer 1\.9 s$/);
  });

  it("does not step up while the buffer is low, even with every frame's own depth", () => {
    const c = new QualityController("auto", DEFAULT_TUNING, "balanced");
    run(c, () => ({ ownShare: 1, depthFps: VIDEO_FPS, bufferAheadMs: 600 }), 60_000);
    expect(c.level).toBe("balanced");
  });

  it("at the boundary between two levels changes a bounded number of times (backoff)", () => {
    // quality cannot keep up, balanced keeps up with room: a naive controller would go up
    // after every hold and down again seconds later, for ever.
    const c = new QualityController("auto");
    const minutes = 20;
    const levels = run(c, (level) => (level === "quality" ? fallingBehind : keepingUp), minutes * 60_000);
    expect(c.history.length).toBeLessThanOrEqual(14);
    expect(levels).not.toContain("smooth");
    // most of the time at the level that works
    const balanced = levels.filter((l) => l === "balanced").length;
    expect(balanced / levels.length).toBeGreaterThan(0.9);
    // the waits between tries grow: each failed try up doubles the next wait
    const ups = c.history.filter((h) => h.to === "quality").map((h) => h.timeMs);
    const gaps = ups.slice(1).map((t, i) => t - (ups[i] as number));
    for (let i = 1; i < gaps.length; i++) expect(gaps[i] as number).toBeGreaterThan(gaps[i - 1] as number);
  });

  it("with measurements wobbling around the thresholds, stays put or changes rarely", () => {
    let seed = 7;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const c = new QualityController("auto");
    run(
      c,
      () => ({
        ownShare: 0.8 + (random() - 0.5) * 0.3, // 0.65..0.95 around behindOwnShare
        depthFps: VIDEO_FPS * (0.8 + random() * 0.3),
        bufferAheadMs: random() * 1500,
        latePerS: random() < 0.2 ? 2 : 0,
      }),
      10 * 60_000,
    );
    expect(c.history.length).toBeLessThanOrEqual(10);
  });

  it("a fixed level never changes by itself", () => {
    const c = new QualityController("quality");
    run(c, () => fallingBehind, 60_000);
    expect(c.level).toBe("quality");
    expect(c.history).toEqual([]);
    expect(c.label).toBe("quality (fixed): chosen");
    const s = new QualityController("smooth");
    run(s, () => keepingUp, 60_000);
    expect(s.level).toBe("smooth");
  });

  it("judges nothing while paused, and starts afresh after a seek", () => {
    const c = new QualityController("auto");
    run(c, () => ({ ...fallingBehind, playing: false }), 30_000);
    expect(c.history).toEqual([]);
    // 1 s behind, then a seek: the evidence before the seek does not count
    run(c, () => fallingBehind, 1000, 500, 30_000);
    c.noteSeek(31_000);
    const levels = run(c, () => fallingBehind, 3000, 500, 31_500);
    expect(levels.every((l) => l === "quality")).toBe(true);
    run(c, () => fallingBehind, 3000, 500, 35_000);
    expect(c.level).toBe("balanced");
  });

  it("the user's choice switches between fixed and auto", () => {
    const c = new QualityController("auto");
    const change = c.choose("smooth", 1000);
    expect(change).toMatchObject({ from: "quality", to: "smooth", auto: false, reason: "chosen" });
    run(c, () => keepingUp, 60_000, 500, 2000);
    expect(c.level).toBe("smooth");
    expect(c.choose("auto", 70_000)).toBeNull();
    expect(c.auto).toBe(true);
    run(c, () => keepingUp, 60_000, 500, 70_500);
    expect(c.level).toBe("quality");
    expect(c.history.map((h) => [h.to, h.auto])).toEqual([
      ["smooth", false],
      ["balanced", true],
      ["quality", true],
    ]);
  });
});

describe("QualityController and the server's limits", () => {
  it("does not step down when the server computes too little and the link keeps up", () => {
    const controller = new QualityController("auto");
    // depth 9 fps against 24, but each frame takes the server 0.3 ms to write: not the link
    const serverBound: Conditions = { ...fallingBehind, latePerS: 15, serverSendMs: 0.3 };
    const levels = run(controller, () => serverBound, 60_000);
    expect(new Set(levels)).toEqual(new Set(["quality"]));
    expect(controller.history).toEqual([]);
    expect(controller.label).toMatch(/^quality \(auto\): depth 9\.0 fps < video 24 fps: the server's computing is the limit/);
  });

  it("steps down when the server's writes take long (the link is the limit)", () => {
    const controller = new QualityController("auto");
    const linkBound: Conditions = { ...fallingBehind, serverSendMs: 120 };
    run(controller, () => linkBound, 5_000);
    expect(controller.history[0]).toMatchObject({ from: "quality", to: "balanced", auto: true });
  });

  it("goes back up once only the server's computing holds it back", () => {
    const controller = new QualityController("auto");
    // a link hiccup took it down; then the link is fine but the server computes 9 fps
    const env = (_: QualityLevel, t: number): Conditions =>
      t < 5_000 ? { ...fallingBehind, serverSendMs: 120 } : { ...fallingBehind, serverSendMs: 0.3 };
    run(controller, env, 60_000);
    expect(controller.history.map((c) => c.to)).toEqual(["balanced", "quality"]);
    expect(controller.history[1]?.reason).toMatch(/the server's computing is the limit/);
  });
});
