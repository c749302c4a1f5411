import { describe, expect, it } from "vitest";
import { latencyText, senderText, sourceText } from "../../src/app/liveHud";
import { sourceTitle } from "../../src/app/liveLayout";

describe("the live HUD's words", () => {
  it("shows the last latency and the p50, and says when clocks are not synced", () => {
    expect(latencyText({ latencyMs: null, latencyP50Ms: null, latencySynced: false })).toBe("–");
    expect(latencyText({ latencyMs: 182.4, latencyP50Ms: 210, latencySynced: true })).toBe("182 ms (p50 210 ms over 2 s)");
    expect(latencyText({ latencyMs: 90, latencyP50Ms: null, latencySynced: false })).toBe("90 ms, clocks not synced");
  });

  it("names the source's state, and why when it is not live", () => {
    expect(sourceText({ kind: "url", state: "reconnecting", error: "timed out" })).toBe("url: reconnecting (timed out)");
    expect(sourceText({ kind: "camera", state: "live", error: "old" })).toBe("camera: live");
    expect(sourceText({ kind: null, state: null, error: null })).toBe("?: connecting");
    expect(senderText({ framesSent: 9, unanswered: 2, superseded: 1, creditLimit: 2 })).toBe("9 sent · 2 unanswered · 1 superseded · in flight ≤2");
    expect(senderText({ framesSent: 9, unanswered: 1, superseded: 0, creditLimit: 1 })).toBe("9 sent · 1 unanswered · 0 superseded · in flight ≤1");
  });

  it("titles the player by its source", () => {
    expect(sourceTitle({ kind: "camera", source: "camera" })).toBe("Webcam");
    expect(sourceTitle({ kind: "url", source: "rtsp://cam.local/stream" })).toBe("rtsp://cam.local/stream");
  });
});
