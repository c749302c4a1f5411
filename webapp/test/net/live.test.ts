import { describe, expect, it } from "vitest";
import { ApiError, errorFromResponse } from "../../src/net/api";
import { describeLiveError, isLiveSession, type AnySession } from "../../src/net/live";

const live = {
  id: "abc",
  live: { kind: "url", source: "rtsp://cam.local/stream", state: "live", frames_in: 3, frames_out: 2, reconnects: 0, error: null },
  video: { width: 640, height: 480, fps: 30, frame_count: 0, duration_s: 0 },
  depth: {},
  stream_url: "/api/sessions/abc/stream",
} as unknown as AnySession;

describe("live sessions over REST", () => {
  it("tells a live session's JSON (it has `live`) from a file session's (it has none)", () => {
    expect(isLiveSession(live)).toBe(true);
    const file = { id: "f", filename: "clip.mp4", video: {}, depth: {}, stream_url: "/s" } as unknown as AnySession;
    expect(isLiveSession(file)).toBe(false);
  });

  it("shows the server's sentence without the file upload's 'Unreadable video' prefix", () => {
    const body = JSON.stringify({ error: { code: "scheme_not_allowed", message: "ftp is not allowed: rtsp, rtsps, http, https" } });
    const error = errorFromResponse(422, body);
    expect(error).toBeInstanceOf(ApiError);
    expect(error.code).toBe("scheme_not_allowed");
    expect(describeLiveError(error)).toBe("ftp is not allowed: rtsp, rtsps, http, https");
    expect(describeLiveError(new Error("Permission denied"))).toBe("Permission denied");
  });
});
