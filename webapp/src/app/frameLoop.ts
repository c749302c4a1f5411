/**
 * The per-frame path. Every video frame the browser presents (requestVideoFrameCallback's
 * mediaTime) → the depth of exactly that frame (DepthStream) → the mesh (SceneFraming); and
 * before every render, screen or headset: the control bar, the VR controllers and the HUD.
 */
import type { DepthFrame } from "../depth/depthFrame";
import type { DepthMesh } from "../render/depthMesh";
import type { SceneFraming } from "../render/framing";
import type { ViewRenderer } from "../render/viewRenderer";
import type { DepthStream } from "../stream/depthStream";
import type { XRControllers } from "../xr/controllers";
import type { Controls } from "./controls";
import type { DepthcastDebug } from "./debugState";
import type { Hud } from "./hud";
import { clipTime } from "./transport";

/** The HUD's text changes at most this often (each update touches the DOM). */
export const HUD_INTERVAL_MS = 200;

export interface FrameLoopParts {
  video: HTMLVideoElement;
  stream: DepthStream;
  framing: SceneFraming;
  view: ViewRenderer;
  mesh: DepthMesh;
  controls: Controls;
  xrControllers: XRControllers;
  hud: Hud;
  state: DepthcastDebug;
  /** The clip's duration (the server's frame table; the <video> may read a shorter one first). */
  durationS: number;
  debug: boolean;
}

export class FrameLoop {
  private stopped = false;
  private lastHud = Number.NEGATIVE_INFINITY;
  private removePauseListener: () => void = () => undefined;

  constructor(private readonly parts: FrameLoopParts) {
    parts.view.onBeforeRender((time) => this.beforeRender(time));
  }

  /** Start following the video's frames. */
  start(): void {
    const video = this.parts.video;
    // The frame a playing video stops on may never get its rVFC callback (decoded, not yet
    // presented when pause() landed): the <video> and the mesh texture then show frame N
    // while the depth stays N-1's. On pause, the frame at currentTime is the one shown.
    const onPause = (): void => {
      if (this.stopped || video.readyState < 2) return;
      const { stream } = this.parts;
      if (stream.times.indexForMediaTime(video.currentTime) !== stream.buffer.lastDisplayedIndex) {
        this.presented(video.currentTime);
      }
    };
    video.addEventListener("pause", onPause);
    this.removePauseListener = () => video.removeEventListener("pause", onPause);
    if (typeof video.requestVideoFrameCallback === "function") {
      const onFrame = (_now: number, metadata: VideoFrameCallbackMetadata): void => {
        if (this.stopped) return;
        this.presented(metadata.mediaTime);
        video.requestVideoFrameCallback(onFrame);
      };
      video.requestVideoFrameCallback(onFrame);
      return;
    }
    // Without rVFC the frame on screen is not known exactly: fall back to currentTime.
    let last = -1;
    const poll = (): void => {
      if (this.stopped) return;
      const t = video.currentTime;
      if (t !== last && video.readyState >= 2) {
        last = t;
        this.presented(t);
      }
      requestAnimationFrame(poll);
    };
    requestAnimationFrame(poll);
  }

  stop(): void {
    this.stopped = true;
    this.removePauseListener();
  }

  /**
   * Depth for the frame on screen arrived after it was presented (DepthStream's onLateDepth).
   * While paused that frame stays on screen with its own depth: the display counts as one.
   */
  lateDepth(frame: DepthFrame): void {
    const { framing, stream, state, video } = this.parts;
    framing.showDepth(frame);
    if (video.paused && stream.buffer.creditLateDepth()) {
      state.displayedWithOwnDepth = stream.buffer.withOwnDepth;
    }
  }

  private presented(mediaTime: number): void {
    const { framing, stream, state, view } = this.parts;
    const { frame } = stream.onVideoFrame(mediaTime);
    framing.showDepth(frame); // null: no depth near this frame, the picture is shown flat
    state.lastAppliedDepthIndex = frame === null ? -1 : frame.index;
    view.invalidate(); // a new video frame to upload
  }

  private beforeRender(time: number): void {
    const { xrControllers, controls, video, durationS, stream } = this.parts;
    xrControllers.update(time);
    controls.sync(video, { timeS: clipTime(video.currentTime, stream.times.startTimeS), durationS });
    if (time - this.lastHud >= HUD_INTERVAL_MS) {
      this.lastHud = time;
      this.feedHud();
    }
  }

  private feedHud(): void {
    const { stream, mesh, hud, state, debug } = this.parts;
    state.stereo = this.parts.framing.stereoReport;
    const frame = mesh.currentFrame;
    const seg = mesh.segments;
    hud.update(state, {
      model: stream.hello?.model ?? null,
      stats: stream.lastStats,
      depthSize: frame ? `${frame.width}×${frame.height}` : null,
      bufferFrames: stream.buffer.size,
      retryInMs: stream.retryInMs,
      segments: `${seg.x}×${seg.y}`,
      debug,
    });
  }
}
