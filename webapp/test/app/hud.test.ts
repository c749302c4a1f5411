import { describe, expect, it } from "vitest";
import { droppedText, ownDepthShare, pipelineText } from "../../src/app/hud";
import type { Stats } from "../../src/net/protocol";

describe("HUD texts", () => {
  it("computes the share of frames shown with their own depth", () => {
    expect(ownDepthShare({ displayedFrames: 0, displayedWithOwnDepth: 0 })).toBe(0);
    expect(ownDepthShare({ displayedFrames: 4, displayedWithOwnDepth: 3 })).toBe(0.75);
  });

  it("puts losses first, cancelled and overflowed frames in brackets", () => {
    expect(droppedText({ dropped: 3, cancelled: 0, overflow: 0 })).toBe("3");
    expect(droppedText({ dropped: 0, cancelled: 5, overflow: 0 })).toBe("0 (+5 cancelled)");
    expect(droppedText({ dropped: 1, cancelled: 5, overflow: 2 })).toBe("1 (+5 cancelled, +2 overflow)");
  });

  it("shows the server's pipeline: queued, decoding, inferring", () => {
    expect(pipelineText(null)).toBe("–");
    const stats: Stats = {
      type: "stats",
      depth_fps: 12,
      sent: 40,
      dropped_stale: 0,
      dropped_cancelled: 0,
      dropped_overflow: 0,
      failed: 0,
      cache_hits: 0,
      queued: 3,
      decoding: 1,
      inferring: 2,
      inflight: 3,
      timings: { decode_ms: 4, queue_ms: 20, inference_ms: 81.4, pack_ms: 1, send_ms: 0 },
    };
    expect(pipelineText(stats)).toBe("3 queued · 1 decoding · 2 inferring · 81 ms");
  });
});
