import { describe, expect, it } from "vitest";
import { FrameTimes } from "../../src/depth/frameTimes";
import { clipTime, Transport } from "../../src/app/transport";

/** A <video> that clamps seeks to the duration it knows, as Chromium does. */
class FakeVideo extends EventTarget {
  duration = 4;
  seeking = false;
  paused = true;
  ended = false;
  playbackRate = 1;
  private time = 1;
  get currentTime(): number {
    return this.time;
  }
  set currentTime(t: number) {
    this.time = Math.min(Math.max(t, 0), this.duration);
  }
  /** The demuxer found the real end: the duration grows, then the seek completes. */
  learnDuration(duration: number): void {
    this.duration = duration;
    this.dispatchEvent(new Event("durationchange"));
  }
  seeked(): void {
    this.dispatchEvent(new Event("seeked"));
  }
}

// 120 frames at 30 fps whose first frame is presented at 1 s (a start offset)
const times = new FrameTimes(Array.from({ length: 120 }, (_, i) => i / 30), 1);

function transport(video: FakeVideo): Transport {
  const element = video as unknown as HTMLVideoElement;
  return new Transport(element, times, 4, () => -1, null as unknown as HTMLElement, () => undefined);
}

describe("transport in clip time", () => {
  it("counts from the first frame, not from the video's clock", () => {
    expect(clipTime(1, 1)).toBe(0);
    expect(clipTime(0.5, 1)).toBe(0);
    const video = new FakeVideo();
    const t = transport(video);
    expect(t.timeS).toBe(0);
    t.seekTo(2);
    expect(video.currentTime).toBe(3);
    expect(t.timeS).toBe(2);
    t.seekBy(-5);
    expect(video.currentTime).toBe(1);
  });

  it("seeks again when the video clamped a seek to a duration it read too short", () => {
    const video = new FakeVideo();
    const t = transport(video);
    t.seekTo(4); // the end: media time 5, but the video first says its duration is 4
    expect(video.currentTime).toBe(4);
    video.seeked();
    video.learnDuration(4.966667);
    expect(video.currentTime).toBeCloseTo(4.966667, 6);
    video.seeked();
    video.learnDuration(5);
    expect(video.currentTime).toBe(5); // still wanted: the last frame's end
  });

  it("leaves a seek within the known duration alone", () => {
    const video = new FakeVideo();
    const t = transport(video);
    t.seekTo(1);
    video.seeked();
    video.learnDuration(5);
    expect(video.currentTime).toBe(2);
  });
});
