import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FrameTimes } from "../../src/depth/frameTimes";
import { PlayheadReporter } from "../../src/stream/playheadReporter";
import type { Playhead, Seek } from "../../src/net/protocol";

class FakeVideo extends EventTarget {
  currentTime = 0;
  playbackRate = 1;
  paused = true;
  ended = false;
  fire(type: string): void {
    this.dispatchEvent(new Event(type));
  }
}

describe("PlayheadReporter", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function setup(start = 0) {
    const video = new FakeVideo();
    const sent: Array<Playhead | Seek> = [];
    const seeks: number[] = [];
    const times = new FrameTimes(Array.from({ length: 300 }, (_, i) => i / 30), start);
    const reporter = new PlayheadReporter(
      video as unknown as HTMLVideoElement,
      times,
      { sendPlayhead: (m) => sent.push(m), sendSeek: (m) => sent.push(m) },
      (t) => seeks.push(t),
    );
    reporter.start();
    return { video, sent, seeks, reporter };
  }

  it("reports on play, pause and rate change, and every 250 ms while playing", () => {
    const { video, sent } = setup();
    video.paused = false;
    video.fire("play");
    expect(sent.at(-1)).toEqual({ type: "playhead", time_s: 0, rate: 1, paused: false });
    video.currentTime = 0.5;
    vi.advanceTimersByTime(1000);
    expect(sent.filter((m) => m.type === "playhead")).toHaveLength(5);
    video.playbackRate = 2;
    video.fire("ratechange");
    expect(sent.at(-1)).toMatchObject({ rate: 2 });
    video.paused = true;
    video.fire("pause");
    const count = sent.length;
    vi.advanceTimersByTime(1000);
    expect(sent).toHaveLength(count); // nothing periodic while paused
    expect(sent.at(-1)).toMatchObject({ type: "playhead", paused: true });
  });

  it("sends seek with the stream start subtracted, and reports stalls as paused", () => {
    const { video, sent, seeks } = setup(1.5);
    video.currentTime = 3.5;
    video.fire("seeking");
    expect(sent.at(-1)).toEqual({ type: "seek", time_s: 2, rate: 1, paused: true });
    expect(seeks).toEqual([2]);
    video.paused = false;
    video.fire("waiting");
    expect(sent.at(-1)).toMatchObject({ type: "playhead", paused: true });
    video.fire("playing");
    expect(sent.at(-1)).toMatchObject({ type: "playhead", paused: false });
  });

  it("stops on dispose", () => {
    const { video, sent, reporter } = setup();
    reporter.dispose();
    video.fire("play");
    video.paused = false;
    vi.advanceTimersByTime(1000);
    expect(sent).toHaveLength(0);
  });
});
