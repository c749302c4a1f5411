/**
 * Playback actions shared by the control bar, the keyboard and the VR controllers: play and
 * pause, seeks, exact frame steps, rate, fullscreen.
 */
import type { FrameTimes } from "../depth/frameTimes";
import { describeError } from "../net/api";

export class Transport {
  constructor(
    private readonly video: HTMLVideoElement,
    private readonly times: FrameTimes,
    /** The server's duration, until the <video> knows its own. */
    private readonly durationS: number,
    /** The frame index on screen (-1 before the first video frame). */
    private readonly shownIndex: () => number,
    private readonly fullscreenElement: HTMLElement,
    private readonly notify: (message: string) => void,
  ) {}

  togglePlay(): void {
    if (this.video.paused || this.video.ended) {
      this.video.play().catch((e: unknown) => this.notify(`Playback did not start: ${describeError(e)}`));
    } else {
      this.video.pause();
    }
  }

  seekTo(seconds: number): void {
    const duration = Number.isFinite(this.video.duration) ? this.video.duration : this.durationS;
    this.video.currentTime = Math.min(Math.max(seconds, 0), Math.max(duration, 0));
  }

  seekBy(seconds: number): void {
    this.seekTo(this.video.currentTime + seconds);
  }

  setRate(rate: number): void {
    this.video.playbackRate = rate;
  }

  /** Show the next/previous frame exactly (paused): seek into the middle of that frame. */
  step(frames: number): void {
    const shown = this.shownIndex();
    const current = shown >= 0 ? shown : this.times.indexForMediaTime(this.video.currentTime);
    const target = Math.min(Math.max(current + frames, 0), this.times.count - 1);
    this.video.currentTime = this.times.mediaTimeInside(target);
  }

  async toggleFullscreen(): Promise<void> {
    try {
      if (document.fullscreenElement) await document.exitFullscreen();
      else await this.fullscreenElement.requestFullscreen();
    } catch (e) {
      this.notify(`Fullscreen is not available: ${describeError(e)}`);
    }
  }
}
