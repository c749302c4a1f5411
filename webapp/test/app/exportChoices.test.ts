import { describe, expect, it } from "vitest";
import { FrameTimes } from "../../src/depth/frameTimes";
import {
  captureRequests,
  convertValue,
  DEFAULT_OPTIONS,
  formatEta,
  FORMAT_CHOICES,
  FORMAT_OPTIONS,
  jobProgressText,
  jobRangeText,
  optionsFor,
  playheadValue,
  processResChoices,
  rangeLength,
  selectionRange,
} from "../../src/app/exportChoices";
import type { ExportJobInfo } from "../../src/net/protocol";

/** 120 frames at 30 fps, and a VFR table whose frames last 1/30, then 1/10 s. */
const cfr = new FrameTimes(Array.from({ length: 120 }, (_, i) => i / 30));
const vfr = new FrameTimes([0, 1 / 30, 2 / 30, 0.1 + 2 / 30, 0.2 + 2 / 30]);

const job = (over: Partial<ExportJobInfo>): ExportJobInfo => ({
  id: "j", session_id: "s", format: "npz", start: 0, end: 40, options: {}, state: "running", progress: 0.3,
  frames_done: 12, frames_total: 40, fps: 8.25, eta_s: 3.4, error: null, file_name: "clip.depth.npz", size_bytes: null,
  created_at: 0, finished_at: null, url: "/api/sessions/s/exports/j", file_url: null, events_url: "/api/sessions/s/exports/j/events",
  ...over,
});

describe("export formats and their options", () => {
  it("offers every format the server takes, each with only the options it reads", () => {
    expect(FORMAT_CHOICES.map((c) => c.format).sort()).toEqual(["depth-mp4", "exr", "npz", "ply", "png16", "sbs-mp4"]);
    expect(FORMAT_OPTIONS.npz).toContain("dtype");
    expect(FORMAT_OPTIONS["sbs-mp4"]).toEqual(expect.arrayContaining(["stereo_layout", "eye_separation", "convergence"]));
    expect(FORMAT_OPTIONS["depth-mp4"]).toEqual(expect.arrayContaining(["colormap", "side_by_side"]));
    expect(FORMAT_OPTIONS.ply).toContain("point_step");
    expect(FORMAT_OPTIONS.png16).not.toContain("dtype");
    for (const choice of FORMAT_CHOICES) expect(FORMAT_OPTIONS[choice.format]).toContain("stabilize");
  });

  it("sends the chosen format's options and no others", () => {
    const values = { ...DEFAULT_OPTIONS, dtype: "float16" as const, colormap: "inferno" as const, eye_separation: 3 };
    expect(optionsFor("npz", values)).toEqual({ dtype: "float16", process_res: null, stabilize: false });
    expect(optionsFor("sbs-mp4", values)).toEqual({ stereo_layout: "sbs", eye_separation: 3, convergence: 0.5, process_res: null, stabilize: false });
    expect(optionsFor("depth-mp4", { ...values, process_res: 1008, stabilize: true })).toEqual({ colormap: "inferno", side_by_side: false, process_res: 1008, stabilize: true });
  });

  it("refuses out-of-range option values in words, only for the format that reads them", () => {
    expect(optionsFor("sbs-mp4", { ...DEFAULT_OPTIONS, eye_separation: 0 })).toMatch(/eye separation/);
    expect(optionsFor("sbs-mp4", { ...DEFAULT_OPTIONS, convergence: 1.5 })).toMatch(/convergence/);
    expect(optionsFor("ply", { ...DEFAULT_OPTIONS, point_step: 2.5 })).toMatch(/point step/);
    expect(optionsFor("npz", { ...DEFAULT_OPTIONS, point_step: Number.NaN })).toEqual({ dtype: "float32", process_res: null, stabilize: false });
  });

  it("offers depth sizes above the stream's only", () => {
    expect(processResChoices(126)).toEqual([null, 504, 756, 1008, 1512]);
    expect(processResChoices(504)).toEqual([null, 756, 1008, 1512]);
    expect(processResChoices(2000)).toEqual([null]);
  });
});

describe("the range as frames", () => {
  it("exports the whole clip as start 0, end null", () => {
    const range = selectionRange({ whole: true, unit: "s", from: Number.NaN, to: Number.NaN }, cfr);
    expect(range).toEqual({ start: 0, end: null });
    expect(rangeLength({ start: 0, end: null }, 120)).toBe(120);
  });

  it("takes frames from..to, both included, the end clamped to the clip", () => {
    expect(selectionRange({ whole: false, unit: "frames", from: 10, to: 19 }, cfr)).toEqual({ start: 10, end: 20 });
    expect(selectionRange({ whole: false, unit: "frames", from: 110, to: 500 }, cfr)).toEqual({ start: 110, end: 120 });
    expect(selectionRange({ whole: false, unit: "frames", from: 7, to: 7 }, cfr)).toEqual({ start: 7, end: 8 });
  });

  it("takes seconds as the frames on screen from..to", () => {
    // 1.0 s is frame 30's start; 1.5 s lies inside frame 45
    expect(selectionRange({ whole: false, unit: "s", from: 1, to: 1.5 }, cfr)).toEqual({ start: 30, end: 46 });
    expect(selectionRange({ whole: false, unit: "s", from: 0.02, to: 0.02 }, cfr)).toEqual({ start: 0, end: 1 });
    // variable frame rate: 0.2 s is inside frame 3 (0.167 .. 0.267)
    expect(selectionRange({ whole: false, unit: "s", from: 0.05, to: 0.2 }, vfr)).toEqual({ start: 1, end: 4 });
  });

  it("says what is wrong with a selection", () => {
    expect(selectionRange({ whole: false, unit: "frames", from: 20, to: 10 }, cfr)).toMatch(/ends before it starts/);
    expect(selectionRange({ whole: false, unit: "frames", from: -1, to: 10 }, cfr)).toMatch(/before the clip/);
    expect(selectionRange({ whole: false, unit: "frames", from: 1.5, to: 10 }, cfr)).toMatch(/whole numbers/);
    expect(selectionRange({ whole: false, unit: "frames", from: 120, to: 130 }, cfr)).toMatch(/frames 0 to 119/);
    expect(selectionRange({ whole: false, unit: "s", from: 4, to: 5 }, cfr)).toMatch(/ends at 0:04.0/);
    expect(selectionRange({ whole: false, unit: "s", from: Number.NaN, to: 1 }, cfr)).toMatch(/start and end/);
  });

  it("puts the playhead's frame in a field so that it maps back to that frame", () => {
    for (const times of [cfr, vfr]) {
      for (let i = 0; i < times.count; i++) {
        const s = playheadValue("s", i, times);
        expect(Math.round(s * 1000)).toBeCloseTo(s * 1000, 6); // whole milliseconds
        expect(times.indexAt(s)).toBe(i);
        expect(selectionRange({ whole: false, unit: "s", from: s, to: s }, times)).toEqual({ start: i, end: i + 1 });
        expect(playheadValue("frames", i, times)).toBe(i);
      }
    }
  });

  it("converts a field between seconds and frames, keeping the frame", () => {
    expect(convertValue(1.5, "frames", cfr)).toBe(45);
    expect(convertValue(45, "s", cfr)).toBe(1.5);
    expect(convertValue(convertValue(37, "s", cfr), "frames", cfr)).toBe(37);
  });
});

describe("Capture this frame", () => {
  it("asks for a PLY and a PNG16 of the one frame, at the chosen depth size", () => {
    expect(captureRequests(42, null)).toEqual([
      { format: "ply", start: 42, end: 43, options: { process_res: null } },
      { format: "png16", start: 42, end: 43, options: { process_res: null } },
    ]);
    expect(captureRequests(0, 1008).map((r) => r.options?.process_res)).toEqual([1008, 1008]);
  });
});

describe("a job in words", () => {
  it("names its frames and their times", () => {
    expect(jobRangeText({ start: 10, end: 20 }, cfr)).toBe("frames 10–19 (0:00.3–0:00.7)");
    expect(jobRangeText({ start: 42, end: 43 }, cfr)).toBe("frame 42 (0:01.4)");
  });

  it("says time left in seconds, minutes or hours, nothing when unknown", () => {
    expect(formatEta(3.4)).toBe("4 s left");
    expect(formatEta(185)).toBe("3:05 left");
    expect(formatEta(3720)).toBe("1 h 02 min left");
    expect(formatEta(null)).toBe("");
    expect(formatEta(Number.POSITIVE_INFINITY)).toBe("");
  });

  it("shows progress while it runs, the size when done, the reason when it failed", () => {
    expect(jobProgressText(job({}))).toBe("12 / 40 frames · 8.3 fps · 4 s left");
    expect(jobProgressText(job({ fps: 0, eta_s: null, frames_done: 0 }))).toBe("0 / 40 frames");
    expect(jobProgressText(job({ state: "queued", frames_done: 0 }))).toBe("waiting · 0 / 40 frames");
    expect(jobProgressText(job({ state: "done", frames_done: 40, size_bytes: 3 * 1024 * 1024 }))).toBe("40 frames · 3.0 MiB");
    expect(jobProgressText(job({ state: "done", frames_total: 1, frames_done: 1, size_bytes: 900 }))).toBe("1 frame · 900 B");
    expect(jobProgressText(job({ state: "failed", error: "The disk is full." }))).toBe("Failed: The disk is full.");
  });
});
