/**
 * Tells the server where the video is: `playhead` on play, pause, rate change and every
 * 250 ms while playing; `seek` when the video seeks. Times are table times (media time with
 * the stream's start time subtracted, so frame 0 is at 0).
 */
import type { FrameTimes } from "../depth/frameTimes";
import type { Playhead, Seek } from "../net/protocol";

export const PLAYHEAD_INTERVAL_MS = 250;

export interface PlayheadSink {
  sendPlayhead(message: Playhead): void;
  sendSeek(message: Seek): void;
}

export class PlayheadReporter {
  private timer: ReturnType<typeof setInterval> | null = null;
  private stalled = false;
  private readonly listeners: Array<[string, () => void]> = [];

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly times: FrameTimes,
    private readonly sink: PlayheadSink,
    private readonly onSeek: (timeS: number) => void = () => undefined,
  ) {}

  start(): void {
    const on = (type: string, fn: () => void): void => {
      this.video.addEventListener(type, fn);
      this.listeners.push([type, fn]);
    };
    on("play", () => this.report());
    on("playing", () => {
      this.stalled = false;
      this.report();
    });
    on("pause", () => this.report());
    on("ratechange", () => this.report());
    on("waiting", () => {
      this.stalled = true;
      this.report();
    });
    on("seeking", () => this.seek());
    on("ended", () => this.report());
    this.timer = setInterval(() => {
      if (!this.video.paused && !this.stalled) this.report();
    }, PLAYHEAD_INTERVAL_MS);
  }

  /** Where the video is now, as a `playhead` message. */
  playhead(): Playhead {
    return {
      type: "playhead",
      time_s: this.timeS(),
      rate: this.video.playbackRate,
      paused: this.video.paused || this.video.ended || this.stalled,
    };
  }

  report(): void {
    this.sink.sendPlayhead(this.playhead());
  }

  seek(): void {
    const time = this.timeS();
    this.onSeek(time);
    this.sink.sendSeek({
      type: "seek",
      time_s: time,
      rate: this.video.playbackRate,
      paused: this.video.paused,
    });
  }

  dispose(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    for (const [type, fn] of this.listeners) this.video.removeEventListener(type, fn);
    this.listeners.length = 0;
  }

  private timeS(): number {
    return round6(this.times.toIndexTime(this.video.currentTime));
  }
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
