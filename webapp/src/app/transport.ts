/**
 * Playback actions shared by the control bar, the keyboard and the VR controllers: play and
 * pause, seeks, exact frame steps, rate, fullscreen.
 */
import type { FrameTimes } from "../depth/frameTimes";
import { describeError } from "../net/api";

/** A <video> time as clip time: 0 at the first frame, never negative. */
export function clipTime(mediaTime: number, startTimeS: number): number {
  return Math.max(0, mediaTime - startTimeS);
}

/** A seek past the duration the <video> first reads is tried again this often as it learns more... */
const SEEK_RETRIES = 3;
/** ...for this long after the seek (a later duration change must not move the video). */
const SEEK_RETRY_MS = 3000;

/**
 * Times here are the clip's (0 at its first frame, as the frame table and the server count);
 * the <video>'s clock starts at the first frame's presentation time, which a clip with a start
 * offset puts later than 0.
 */
export class Transport {
  /** A seek the <video> clamped short of (it read a shorter duration first). */
  private pending: { mediaTime: number; at: number; retries: number } | null = null;

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly times: FrameTimes,
    /** The clip's duration from the server's frame table (the <video>'s may start too short). */
    private readonly durationS: number,
    /** The frame index on screen (-1 before the first video frame). */
    private readonly shownIndex: () => number,
    private readonly fullscreenElement: HTMLElement,
    private readonly notify: (message: string) => void,
  ) {
    // An MP4 whose first frame starts late can declare a duration without the offset: the
    // <video> clamps a seek to it, then learns the real end. Seek again when it has.
    video.addEventListener("seeked", () => this.retryClampedSeek());
    video.addEventListener("durationchange", () => this.retryClampedSeek());
  }

  /** The clip time on screen (0 at the first frame). */
  get timeS(): number {
    return clipTime(this.video.currentTime, this.times.startTimeS);
  }

  togglePlay(): void {
    if (this.video.paused || this.video.ended) {
      this.video.play().catch((e: unknown) => this.notify(`Playback did not start: ${describeError(e)}`));
    } else {
      this.video.pause();
    }
  }

  /** Go to `seconds` of the clip (0 .. its duration). */
  seekTo(seconds: number): void {
    const clamped = Math.min(Math.max(seconds, 0), Math.max(this.durationS, 0));
    this.setMediaTime(this.times.toMediaTime(clamped));
  }

  seekBy(seconds: number): void {
    this.seekTo(this.timeS + seconds);
  }

  setRate(rate: number): void {
    this.video.playbackRate = rate;
  }

  /** The frame on screen: the last one presented, else the one at the <video>'s time. */
  frameOnScreen(): number {
    const shown = this.shownIndex();
    return shown >= 0 ? shown : this.times.indexForMediaTime(this.video.currentTime);
  }

  /** Show the next/previous frame exactly (paused): seek into the middle of that frame. */
  step(frames: number): void {
    const current = this.frameOnScreen();
    const target = Math.min(Math.max(current + frames, 0), this.times.count - 1);
    this.setMediaTime(this.times.mediaTimeInside(target));
  }

  private setMediaTime(mediaTime: number): void {
    const known = this.video.duration;
    this.pending = Number.isFinite(known) && mediaTime > known + 1e-3 ? { mediaTime, at: performance.now(), retries: 0 } : null;
    this.video.currentTime = mediaTime;
  }

  private retryClampedSeek(): void {
    const pending = this.pending;
    if (pending === null || this.video.seeking) return;
    const { currentTime, duration } = this.video;
    if (currentTime >= pending.mediaTime - 1e-3 || pending.retries >= SEEK_RETRIES || performance.now() - pending.at > SEEK_RETRY_MS) {
      this.pending = null;
      return;
    }
    if (duration > currentTime + 1e-3) {
      pending.retries += 1;
      this.video.currentTime = Math.min(pending.mediaTime, duration);
    }
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
