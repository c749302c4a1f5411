import { describe, expect, it } from "vitest";
import { playbackMessage } from "../../src/app/playbackNotice";
import type { PlaybackInfo } from "../../src/net/protocol";

const base: PlaybackInfo = {
  state: "original", progress: 0, frames_done: 0, frames_total: 0, reason: null, method: null,
  width: 0, height: 0, pad_right: 0, pad_bottom: 0, error: null, url: null,
};

describe("playbackMessage", () => {
  it("says how far the conversion is, in whole percent", () => {
    expect(playbackMessage({ ...base, state: "converting", progress: 0.427 })).toBe("Converting for this browser: 42 %");
  });
  it("says why when the copy failed", () => {
    expect(playbackMessage({ ...base, state: "failed", error: "the copy has 29 frames, the original 30" })).toContain("29 frames");
  });
  it("says nothing while the original plays or once the copy does", () => {
    expect(playbackMessage(base)).toBeNull();
    expect(playbackMessage({ ...base, state: "ready", progress: 1, url: "/x" })).toBeNull();
  });
});
