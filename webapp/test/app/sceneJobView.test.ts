import { describe, expect, it } from "vitest";
import { sceneProgressShare, sceneProgressText, sceneTitle } from "../../src/app/sceneJobView";
import { sceneRequest } from "../../src/app/scenePanel";
import type { SceneJobInfo, SceneState } from "../../src/net/scenes";

const job = (state: SceneState, chunks_done = 2, frames_done = 40): SceneJobInfo => ({
  id: "j", session_id: "s", state, metric: false, files: [], error: state === "failed" ? "out of memory" : null,
  progress: { chunks_done, chunks_total: 5, frames_done, frames_total: 120 },
  chunk_frames: 24, overlap: 8, stride: 2, voxel: 0.01, npz: false, points: 12345, fps: 1.25, created_at: 0,
});

describe("scene job text", () => {
  it("says how far the job is, in its state's words", () => {
    expect(sceneProgressText(job("running"))).toBe("chunk 2 of 5 · 40 of 120 keyframes · 1.3 keyframes/s · 12,345 points");
    expect(sceneProgressText(job("queued"))).toBe("waiting for the model…");
    expect(sceneProgressText(job("done", 5, 120))).toBe("done: 120 keyframes in 5 chunks · 12,345 points");
    expect(sceneProgressText(job("failed"))).toBe("failed: out of memory");
    expect(sceneProgressText(job("cancelled"))).toBe("cancelled after 2 of 5 chunks");
    expect(sceneTitle(job("running"))).toBe("Scene · chunks of 24 keyframes, 8 shared, stride 2 · relative scale");
    expect(sceneTitle({ ...job("running"), metric: true })).toContain("metric (metres)");
  });

  it("fills the bar by keyframes placed", () => {
    expect(sceneProgressShare(job("running"))).toBeCloseTo(40 / 120, 6);
    expect(sceneProgressShare(job("done", 5, 0))).toBe(1);
    expect(sceneProgressShare({ ...job("queued"), progress: { chunks_done: 0, chunks_total: 0, frames_done: 0, frames_total: 0 } })).toBe(0);
  });
});

describe("sceneRequest", () => {
  const blank = { chunkFrames: "", overlap: "", stride: "", voxel: "", npz: false };
  it("leaves blank fields to the server", () => {
    expect(sceneRequest(blank)).toEqual({});
    expect(sceneRequest({ chunkFrames: "16", overlap: "4", stride: "3", voxel: "0.02", npz: true })).toEqual({ chunk_frames: 16, overlap: 4, stride: 3, voxel: 0.02, npz: true });
    expect(sceneRequest({ ...blank, motion: true })).toEqual({ keyframes: "motion" });
  });
  it("refuses what the server would, in words", () => {
    expect(sceneRequest({ ...blank, chunkFrames: "1" })).toMatch(/at least 2/);
    expect(sceneRequest({ ...blank, stride: "1.5" })).toMatch(/whole number/);
    expect(sceneRequest({ ...blank, chunkFrames: "8", overlap: "8" })).toMatch(/smaller than the chunk/);
    expect(sceneRequest({ ...blank, voxel: "-1" })).toMatch(/voxel/);
  });
});
