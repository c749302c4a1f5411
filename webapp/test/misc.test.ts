import { describe, expect, it } from "vitest";
import { ownDepthShare } from "../src/app/hud";
import { actionForKey } from "../src/app/keyboard";
import { describeError, errorFromResponse } from "../src/net/api";
import { streamUrl } from "../src/net/depthSocket";
import { gridSegments } from "../src/render/depthMesh";
import { ThumbstickSeek } from "../src/xr/controllers";

describe("server errors in words", () => {
  it("uses the server's sentence from {error:{code,message}}", () => {
    const e = errorFromResponse(413, JSON.stringify({ error: { code: "upload_too_large", message: "The file is larger than 1 MB." } }));
    expect(e.status).toBe(413);
    expect(e.code).toBe("upload_too_large");
    expect(describeError(e)).toBe("Too large: The file is larger than 1 MB.");
    const n = errorFromResponse(415, JSON.stringify({ error: { code: "not_a_video", message: "Not a video file." } }));
    expect(describeError(n)).toBe("Not a video: Not a video file.");
  });

  it("falls back to a sentence when the body is not JSON", () => {
    expect(errorFromResponse(413, "<html>").message).toMatch(/too large/);
    expect(errorFromResponse(0, "").message).toMatch(/could not be reached/);
    expect(errorFromResponse(502, "").message).toMatch(/server failed/);
  });
});

describe("keyboard shortcuts", () => {
  it("maps keys to actions; frame steps only when paused", () => {
    expect(actionForKey(" ", false)).toEqual({ kind: "toggle-play" });
    expect(actionForKey("ArrowLeft", false)).toEqual({ kind: "seek", seconds: -5 });
    expect(actionForKey("ArrowRight", true)).toEqual({ kind: "seek", seconds: 5 });
    expect(actionForKey(".", true)).toEqual({ kind: "step", frames: 1 });
    expect(actionForKey(",", true)).toEqual({ kind: "step", frames: -1 });
    expect(actionForKey(".", false)).toBeNull();
    expect(actionForKey("f", false)).toEqual({ kind: "fullscreen" });
    expect(actionForKey("m", false)).toEqual({ kind: "cycle-mode" });
    expect(actionForKey("q", false)).toBeNull();
  });
});

describe("small pieces", () => {
  it("builds the stream URL with protocol version and downsample", () => {
    expect(streamUrl("http://127.0.0.1:8000/?session=a", "/api/sessions/a/stream", 2)).toBe(
      "ws://127.0.0.1:8000/api/sessions/a/stream?v=1&downsample=2",
    );
    expect(streamUrl("https://h/x/", "/api/sessions/a/stream", 1)).toMatch(/^wss:\/\/h\/api\//);
  });

  it("sizes the grid along the longer side", () => {
    expect(gridSegments(256, 16 / 9)).toEqual({ x: 256, y: 144 });
    expect(gridSegments(256, 9 / 16)).toEqual({ x: 144, y: 256 });
  });

  it("computes the share of frames shown with their own depth", () => {
    expect(ownDepthShare({ displayedFrames: 0, displayedWithOwnDepth: 0 })).toBe(0);
    expect(ownDepthShare({ displayedFrames: 4, displayedWithOwnDepth: 3 })).toBe(0.75);
  });

  it("turns thumbstick pushes into seeks, repeating while held", () => {
    const stick = new ThumbstickSeek();
    expect(stick.update(0.1, 0)).toBe(0);
    expect(stick.update(0.9, 10)).toBe(1);
    expect(stick.update(0.9, 100)).toBe(0);
    expect(stick.update(0.9, 500)).toBe(1);
    expect(stick.update(0, 600)).toBe(0);
    expect(stick.update(-0.9, 610)).toBe(-1);
  });
});
