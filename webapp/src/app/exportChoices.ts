/**
 * The Export menu's rules, as pure functions: the formats and which options each shows, a
 * range (whole clip, or a selection in seconds or frames) as the request's frames, the
 * "Capture this frame" requests, and a job's range and progress in words.
 */
import type { FrameTimes } from "../depth/frameTimes";
import type { ExportFormat } from "../net/exports";
import type { ExportJobInfo, ExportRequest, ExportSettings } from "../net/protocol";
import { formatBytes, formatTime } from "./dom";

export interface FormatChoice {
  format: ExportFormat;
  label: string;
  /** What the file holds, in a few words. */
  hint: string;
}

/** docs/EXPORTS.md has each format's layout and how to read it back. */
export const FORMAT_CHOICES: readonly FormatChoice[] = [
  { format: "npz", label: "Depth arrays (.npz)", hint: "float depth of every frame, frame times, intrinsics (NumPy)" },
  { format: "png16", label: "16-bit PNGs (.zip)", hint: "a 16-bit PNG per frame and a JSON with scale, bias, times" },
  { format: "exr", label: "OpenEXR (.zip)", hint: "a float EXR per frame (Nuke, Blender, DaVinci)" },
  { format: "depth-mp4", label: "Depth video (.mp4)", hint: "colour-mapped depth, the source's frame times" },
  { format: "sbs-mp4", label: "Stereo 3D video (.mp4)", hint: "left and right eye for VR players and 3D screens, with sound" },
  { format: "ply", label: "Point cloud (.ply)", hint: "coloured points of a frame (a few frames side by side)" },
];

/** The options the panel offers; each maps to the ExportSettings field of the same name. */
export type OptionName =
  | "dtype" | "colormap" | "side_by_side" | "stereo_layout" | "eye_separation" | "convergence" | "point_step" | "process_res"
  | "stabilize";

/** Which options a format reads (the others would be ignored, so they are not shown). */
export const FORMAT_OPTIONS: Readonly<Record<ExportFormat, readonly OptionName[]>> = {
  npz: ["dtype", "process_res", "stabilize"],
  png16: ["process_res", "stabilize"],
  exr: ["process_res", "stabilize"],
  "depth-mp4": ["colormap", "side_by_side", "process_res", "stabilize"],
  "sbs-mp4": ["stereo_layout", "eye_separation", "convergence", "process_res", "stabilize"],
  ply: ["point_step", "process_res", "stabilize"],
};

/** The panel's option values; defaults as the server's ExportSettings. */
export interface OptionValues {
  dtype: NonNullable<ExportSettings["dtype"]>;
  colormap: NonNullable<ExportSettings["colormap"]>;
  side_by_side: boolean;
  stereo_layout: NonNullable<ExportSettings["stereo_layout"]>;
  /** % of the frame's width between the farthest and the nearest point. */
  eye_separation: number;
  /** 0 (everything in front of the screen) .. 1 (everything behind it). */
  convergence: number;
  point_step: number;
  /** The model's input size (longer side); null: the stream's. */
  process_res: number | null;
  /** Each frame's depth aligned to the ones before it: less flicker (docs/STABILIZATION.md). */
  stabilize: boolean;
}

export const DEFAULT_OPTIONS: Readonly<OptionValues> = {
  dtype: "float32",
  colormap: "turbo",
  side_by_side: false,
  stereo_layout: "sbs",
  eye_separation: 2,
  convergence: 0.5,
  point_step: 1,
  process_res: null,
  stabilize: false,
};

/** The options of `format` only, as the request sends them; or why they cannot be sent. */
export function optionsFor(format: ExportFormat, values: OptionValues): ExportSettings | string {
  const chosen: Record<string, unknown> = {};
  for (const name of FORMAT_OPTIONS[format]) chosen[name] = values[name];
  if ("eye_separation" in chosen && !(values.eye_separation > 0 && values.eye_separation <= 100)) {
    return "The eye separation is a percentage of the width, above 0 and at most 100.";
  }
  if ("convergence" in chosen && !(values.convergence >= 0 && values.convergence <= 1)) {
    return "The convergence goes from 0 (all in front of the screen) to 1 (all behind it).";
  }
  if ("point_step" in chosen && !(Number.isInteger(values.point_step) && values.point_step >= 1 && values.point_step <= 64)) {
    return "The point step is a whole number from 1 to 64.";
  }
  return chosen as ExportSettings;
}

/** Depth sizes offered above the stream's own (multiples of 14, as the model needs). */
export const HIGHER_PROCESS_RES = [504, 756, 1008, 1512] as const;

/** The process_res choices: null (the stream's size), then the larger sizes. */
export function processResChoices(streamLongSide: number): Array<number | null> {
  return [null, ...HIGHER_PROCESS_RES.filter((r) => r > streamLongSide)];
}

export type RangeUnit = "s" | "frames";

/** What the range fields say: the whole clip, or from .. to (both shown frames included). */
export interface RangeSelection {
  whole: boolean;
  unit: RangeUnit;
  from: number;
  to: number;
}

/** The request's frames: `start` up to `end` excluded; `end` null: to the last frame. */
export interface ExportRange {
  start: number;
  end: number | null;
}

type Times = Pick<FrameTimes, "count" | "indexAt" | "time" | "end">;

/** The frames a selection covers, or a sentence saying what is wrong with it. */
export function selectionRange(selection: RangeSelection, times: Times): ExportRange | string {
  if (selection.whole) return { start: 0, end: null };
  const { from, to, unit } = selection;
  if (!Number.isFinite(from) || !Number.isFinite(to)) return "Give the selection's start and end.";
  if (from < 0) return "The selection starts before the clip.";
  if (to < from) return "The selection ends before it starts.";
  const last = times.count - 1;
  if (unit === "frames") {
    if (!Number.isInteger(from) || !Number.isInteger(to)) return "Frames are whole numbers.";
    if (from > last) return `The clip has frames 0 to ${last}.`;
    return { start: from, end: Math.min(to, last) + 1 };
  }
  // seconds: the frames on screen from `from` to `to`, both included
  if (from >= times.end(last)) return `The clip ends at ${formatTime(times.end(last))}.`;
  const start = times.indexAt(from);
  return { start, end: Math.max(times.indexAt(to), start) + 1 };
}

/** How many frames a range holds. */
export function rangeLength(range: ExportRange, frameCount: number): number {
  return Math.max(0, (range.end ?? frameCount) - range.start);
}

/** A time in a seconds field that the frame table maps back to frame `index` (rounded up to ms). */
export function secondsOfFrame(index: number, times: Pick<FrameTimes, "time">): number {
  return Math.ceil(times.time(index) * 1000 - 1e-6) / 1000;
}

/** The playhead's frame as a value of a range field in `unit`. */
export function playheadValue(unit: RangeUnit, index: number, times: Pick<FrameTimes, "time">): number {
  return unit === "frames" ? index : secondsOfFrame(index, times);
}

/** A range field's value in the other unit (the same frame). */
export function convertValue(value: number, to: RangeUnit, times: Pick<FrameTimes, "indexAt" | "time">): number {
  return to === "frames" ? times.indexAt(value) : secondsOfFrame(Math.round(value), times);
}

/** "Capture this frame": a PLY and a PNG16 of frame `index`, at `processRes` (null: the stream's). */
export function captureRequests(index: number, processRes: number | null): ExportRequest[] {
  const one = (format: ExportFormat): ExportRequest => ({ format, start: index, end: index + 1, options: { process_res: processRes } });
  return [one("ply"), one("png16")];
}

/** "frames 10–19 (0:00.3–0:00.7)", "frame 42 (0:01.4)". */
export function jobRangeText(job: Pick<ExportJobInfo, "start" | "end">, times: Pick<FrameTimes, "time" | "end">): string {
  const last = job.end - 1;
  if (last <= job.start) return `frame ${job.start} (${formatTime(times.time(job.start))})`;
  return `frames ${job.start}–${last} (${formatTime(times.time(job.start))}–${formatTime(times.end(last))})`;
}

/** Seconds left in words: "12 s left", "3:05 left", "1 h 02 min left"; "" when unknown. */
export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return "";
  const s = Math.ceil(seconds);
  if (s < 60) return `${s} s left`;
  if (s < 3600) return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")} left`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min left`;
}

type JobProgress = Pick<ExportJobInfo, "state" | "frames_done" | "frames_total" | "fps" | "eta_s" | "error" | "size_bytes">;

/** The line under a job's progress bar. */
export function jobProgressText(job: JobProgress): string {
  const frames = `${job.frames_done} / ${job.frames_total} frames`;
  switch (job.state) {
    case "queued":
      return `waiting · ${frames}`;
    case "running": {
      const parts = [frames];
      if (job.fps > 0) parts.push(`${job.fps.toFixed(1)} fps`);
      const eta = formatEta(job.eta_s);
      if (eta !== "") parts.push(eta);
      return parts.join(" · ");
    }
    case "done":
      return `${job.frames_total} ${job.frames_total === 1 ? "frame" : "frames"}${job.size_bytes === null ? "" : ` · ${formatBytes(job.size_bytes)}`}`;
    case "failed":
      return `Failed: ${job.error ?? "no reason given"}`;
    case "cancelled":
      return "Cancelled";
  }
}
