/**
 * Adaptive quality in the player: twice a second it samples what the viewer measures (depth
 * fps against the video's, buffer ahead, own-depth share, late frames, time between rendered
 * frames) into the QualityController, and applies the level it picks: the depth downsample
 * and look-ahead (a `window` message) and the mesh density (the grid is rebuilt).
 * The level, why it last changed and every change are in window.__depthcast.
 */
import type { DepthMesh } from "../render/depthMesh";
import type { ViewRenderer } from "../render/viewRenderer";
import type { DepthStream } from "../stream/depthStream";
import {
  QualityController,
  settingsFor,
  type QualityChange,
  type QualityChoice,
  type QualitySettings,
} from "../stream/qualityController";
import type { DepthcastDebug } from "./debugState";

export const SAMPLE_MS = 500;
/** Times between rendered frames kept for `frameMs` (about a second at 60 Hz). */
const FRAME_TIMES = 60;

export interface AdaptiveQualityParts {
  stream: DepthStream;
  mesh: DepthMesh;
  view: ViewRenderer;
  video: HTMLVideoElement;
  state: DepthcastDebug;
  /** The video's frame rate (its frames per second at rate 1). */
  fps: number;
}

export class AdaptiveQuality {
  readonly controller: QualityController;
  private base: QualitySettings;
  private readonly frameGaps: number[] = [];
  private lastRender: number | null = null;
  /** What was last sent and built (the mesh starts at the base density). */
  private applied: QualitySettings | null = null;
  private meshDensity: number;
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly onSeeking = (): void => this.controller.noteSeek(performance.now());

  /** `base` is the "quality" level (the URL's settings); the first level is applied at once. */
  constructor(
    choice: QualityChoice,
    base: QualitySettings,
    private readonly parts: AdaptiveQualityParts,
  ) {
    this.base = { ...base };
    this.meshDensity = base.density;
    this.controller = new QualityController(choice);
    parts.state.qualityHistory = [];
    parts.view.onBeforeRender((time) => this.noteRender(time));
    parts.video.addEventListener("seeking", this.onSeeking);
    this.apply(null);
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
  }

  /** The settings of the current level. */
  get settings(): QualitySettings {
    return settingsFor(this.controller.level, this.base);
  }

  /** The select or a remote chose `auto` or a fixed level. */
  choose(choice: QualityChoice): void {
    this.apply(this.controller.choose(choice, performance.now()));
  }

  /** The density select sets the "quality" level's density; lower levels take a fraction of it. */
  setBaseDensity(density: number): void {
    this.base = { ...this.base, density };
    this.apply(null);
  }

  dispose(): void {
    clearInterval(this.timer);
    this.parts.video.removeEventListener("seeking", this.onSeeking);
  }

  private noteRender(time: number): void {
    const { video } = this.parts;
    if (video.paused || this.lastRender === null) {
      this.lastRender = video.paused ? null : time;
      this.frameGaps.length = 0;
      return;
    }
    this.frameGaps.push(time - this.lastRender);
    if (this.frameGaps.length > FRAME_TIMES) this.frameGaps.shift();
    this.lastRender = time;
  }

  private sample(): void {
    const { video, state, stream, fps } = this.parts;
    const rate = video.playbackRate;
    const gaps = this.frameGaps;
    this.apply(
      this.controller.update({
        timeMs: performance.now(),
        playing: !video.paused && !video.ended && !video.seeking && video.readyState >= 3,
        videoFps: fps * rate,
        depthFps: stream.depthFps,
        bufferAheadMs: state.bufferAheadMs,
        targetAheadMs: this.settings.ahead * 1000 * Math.max(rate, 1),
        displayed: state.displayedFrames,
        withOwnDepth: state.displayedWithOwnDepth,
        late: state.dropped + state.overflow,
        frameMs: gaps.length >= 10 ? gaps.reduce((a, b) => a + b, 0) / gaps.length : null,
        serverSendMs: stream.lastStats?.timings.send_ms ?? null,
      }),
    );
  }

  /** Apply the current level (after `change`, or at start) and publish it. */
  private apply(change: QualityChange | null): void {
    const { state, stream, mesh, view } = this.parts;
    const c = this.controller;
    const s = this.settings;
    const was = this.applied;
    if (was === null || was.ahead !== s.ahead || was.maxInflight !== s.maxInflight || was.downsample !== s.downsample) {
      stream.setWindow({ ahead: s.ahead, maxInflight: s.maxInflight, downsample: s.downsample });
    }
    if (s.density !== this.meshDensity) {
      mesh.setDensity(s.density);
      this.meshDensity = s.density;
      view.invalidate();
    }
    this.applied = s;
    state.qualitySettings = s;
    if (change !== null) state.qualityHistory = [...c.history];
    state.quality = c.level;
    state.qualityAuto = c.auto;
    state.qualityReason = c.reason;
    state.qualityLabel = c.label;
  }
}
