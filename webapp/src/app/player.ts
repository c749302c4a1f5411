/**
 * The player view: the <video> (source of colour and of the clock), the 3D view of its depth,
 * controls, keyboard shortcuts, HUD, and VR.
 */
import type { DepthFrame } from "../depth/depthFrame";
import { FrameTimes } from "../depth/frameTimes";
import { getFrameTimes, getSession, type SessionInfo } from "../net/api";
import type { Hello, Stats } from "../net/protocol";
import { DepthMesh, DEFAULT_EDGE_THRESHOLD, DEFAULT_RELIEF } from "../render/depthMesh";
import { probeGpu, type GpuInfo } from "../render/gpuInfo";
import { DEFAULT_STEREO } from "../render/stereo";
import { ViewRenderer } from "../render/viewRenderer";
import { XRControllers } from "../xr/controllers";
import { installXREmulator } from "../xr/emulate";
import { isImmersiveVrSupported, XRSessionManager } from "../xr/xrSession";
import { Controls } from "./controls";
import { resetPlaybackCounters, setDebugHandlers, type DepthcastDebug } from "./debugState";
import { DepthStream } from "./depthStream";
import { h } from "./dom";
import { randomWeightsBanner } from "./healthPanel";
import { Hud } from "./hud";
import { installKeyboard, type KeyAction } from "./keyboard";
import { isViewMode, type ViewerParams, type ViewMode } from "./params";

/** In VR the scene's typical depth is placed this far in front of the viewer. */
export const VR_DISTANCE_M = 2;
export const VR_EYE_HEIGHT_M = 1.6;
/** Default mesh density on software WebGL (SwiftShader), where vertices are expensive. */
export const SOFTWARE_DENSITY = 64;
/** Drawing-buffer budget on software WebGL (fill-bound): about 800×500. */
export const SOFTWARE_MAX_PIXELS = 400_000;

export interface PlayerCallbacks {
  back(): void;
}

let emulatorInstalled: Promise<void> | null = null;

export class Player {
  readonly element: HTMLElement;
  readonly video: HTMLVideoElement;
  readonly canvas: HTMLCanvasElement;
  private readonly view: ViewRenderer;
  private readonly mesh: DepthMesh;
  private readonly stream: DepthStream;
  private readonly controls: Controls;
  private readonly hud: Hud;
  private readonly xr: XRSessionManager;
  private readonly xrControllers: XRControllers;
  private readonly notice: HTMLElement;
  private readonly banners: HTMLElement;
  private screenMode: "normal" | "sbs" = "normal";
  private vrSupported = false;
  private userMovedCamera = false;
  private refitted = false;
  private lastHud = 0;
  private disposed = false;
  private readonly cleanups: Array<() => void> = [];
  private readonly gpu: GpuInfo;

  /** Fetch the session and its frame table, then build the player. */
  static async open(
    sessionId: string,
    params: ViewerParams,
    state: DepthcastDebug,
    callbacks: PlayerCallbacks,
  ): Promise<Player> {
    const [session, times] = await Promise.all([getSession(sessionId), getFrameTimes(sessionId)]);
    if (params.xrEmulate) {
      emulatorInstalled ??= installXREmulator();
      await emulatorInstalled;
    }
    return new Player(session, new FrameTimes(times, session.video.start_time_s), params, state, callbacks);
  }

  constructor(
    readonly session: SessionInfo,
    readonly times: FrameTimes,
    private readonly params: ViewerParams,
    private readonly state: DepthcastDebug,
    private readonly callbacks: PlayerCallbacks,
  ) {
    resetPlaybackCounters(state);
    this.gpu = probeGpu();
    if (!this.gpu.webgl2) throw new Error("This browser has no WebGL2, which the 3D view needs.");
    const density = params.densityFromUrl || !this.gpu.software ? params.density : SOFTWARE_DENSITY;
    this.video = h("video", { id: "video", class: "preview", playsinline: true, preload: "auto" });
    this.video.src = session.video_url;
    if (params.e2e) {
      this.video.muted = true;
      this.video.defaultMuted = true;
    }
    this.canvas = h("canvas", { id: "view", class: "view", tabindex: 0 });
    this.hud = new Hud(params.stats || params.debug);
    this.notice = h("div", { id: "notice", class: "banner info", role: "status" });
    this.notice.hidden = true;
    this.banners = h("div", { class: "banners" }, this.notice);
    const stage = h("div", { id: "stage", class: "stage" }, this.canvas, this.video, this.hud.element);
    this.controls = new Controls(
      {
        togglePlay: () => this.togglePlay(),
        seekTo: (s) => this.seekTo(s),
        setRate: (r) => (this.video.playbackRate = r),
        setMode: (m) => void this.setMode(m).catch((e: unknown) => this.showNotice(errorText(e))),
        setDensity: (d) => this.changed(() => this.mesh.setDensity(d)),
        setRelief: (r) => this.setRelief(r),
        setEdgeThreshold: (t) => this.changed(() => this.mesh.setEdgeThreshold(t)),
        setEyeSep: (e) => this.changed(() => (this.view.sbs.settings.eyeSep = e)),
        setSwapEyes: (s) => this.changed(() => (this.view.sbs.settings.swapEyes = s)),
        setSbsWidth: (w) => this.changed(() => (this.view.sbs.settings.width = w)),
        resetView: () => this.resetView(),
        enterVr: () => {
          const next = this.xr.active ? this.screenMode : "vr";
          void this.setMode(next).catch((e: unknown) => this.showNotice(errorText(e)));
        },
        fullscreen: () => void this.toggleFullscreen(),
        toggleHud: () => this.hud.toggle(),
        back: () => this.callbacks.back(),
      },
      {
        density,
        relief: DEFAULT_RELIEF,
        edgeThreshold: DEFAULT_EDGE_THRESHOLD,
        eyeSep: DEFAULT_STEREO.eyeSep,
        mode: params.mode === "vr" ? "normal" : params.mode,
      },
    );
    this.element = h(
      "div",
      { id: "player", class: "player" },
      h(
        "header",
        { class: "player-top" },
        h("span", { id: "filename", class: "filename", text: session.filename }),
        h("span", {
          class: "video-info",
          text: `${session.video.width}×${session.video.height} · ${session.video.fps.toFixed(2)} fps · ${session.video.frame_count} frames · ${session.video.codec}`,
        }),
      ),
      this.banners,
      stage,
      this.controls.element,
    );

    this.view = new ViewRenderer(this.canvas, session.depth, {
      preserveDrawingBuffer: params.e2e,
      antialias: !this.gpu.software,
      maxPixels: this.gpu.software ? SOFTWARE_MAX_PIXELS : Number.POSITIVE_INFINITY,
    });
    this.mesh = new DepthMesh(this.video, session.depth, density);
    this.view.content.add(this.mesh.mesh);
    this.view.setCentreDepth(this.mesh.centreDepth, true, this.mesh.nearDepth);
    this.view.controls.addEventListener("start", () => (this.userMovedCamera = true));

    this.stream = new DepthStream(session, times, params, this.video, state, {
      onLateDepth: (frame) => this.applyDepth(frame),
      onHello: (hello) => this.onHello(hello),
      onStats: (stats: Stats) => this.onStats(stats),
      onFatal: (message) => this.fatal(message),
      onNotice: (message) => this.showNotice(message),
    });

    this.xr = new XRSessionManager(this.view.renderer);
    this.xr.on("start", () => this.onXrStart());
    this.xr.on("end", () => this.onXrEnd());
    this.xrControllers = new XRControllers(this.view.renderer, this.view.scene, this.view.content, {
      togglePlay: () => this.togglePlay(),
      seekBy: (s) => this.seekBy(s),
    });
    this.view.onBeforeRender((time) => this.beforeRender(time));
  }

  mount(parent: HTMLElement): void {
    parent.append(this.element);
    this.state.canvas = this.canvas;
    this.state.sessionId = this.session.id;
    this.state.phase = "player";
    this.state.mode = this.params.mode === "vr" ? "normal" : this.params.mode;
    this.screenMode = this.state.mode === "sbs" ? "sbs" : "normal";
    this.view.setMode(this.screenMode);
    this.view.resetView();
    this.element.dataset.mode = this.screenMode;
    setDebugHandlers({
      setMode: (mode) => {
        void this.setMode(mode).catch((e: unknown) => this.showNotice(errorText(e)));
      },
      enterXR: () => this.setMode("vr"),
    });
    this.cleanups.push(installKeyboard(() => this.video.paused, (action) => this.onKey(action)));
    this.watchFrames();
    this.stream.start();
    void isImmersiveVrSupported().then((ok) => {
      this.vrSupported = ok;
      this.controls.setVrSupported(ok);
      if (ok && this.params.mode === "vr") {
        void this.setMode("vr").catch(() => this.showNotice("Press “Enter VR” to start the immersive view."));
      }
    });
    const onError = (): void => {
      const error = this.video.error;
      if (error) this.showNotice(`The browser cannot play this video (${error.message || `code ${error.code}`}). Try H.264 in MP4.`);
    };
    this.video.addEventListener("error", onError);
    this.cleanups.push(() => this.video.removeEventListener("error", onError));
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    setDebugHandlers(null);
    for (const fn of this.cleanups) fn();
    void this.xr.exit();
    this.stream.dispose();
    this.video.pause();
    this.video.removeAttribute("src");
    this.video.load();
    this.mesh.dispose();
    this.view.dispose();
    this.element.remove();
    this.state.canvas = null;
  }

  /** Switch view mode: "normal", "sbs", or "vr" (enters the immersive session). */
  async setMode(mode: string): Promise<void> {
    if (!isViewMode(mode)) throw new Error(`unknown mode "${mode}" (normal, sbs or vr)`);
    if (mode === "vr") {
      if (!this.xr.active) await this.xr.enter();
      return;
    }
    this.screenMode = mode;
    this.view.setMode(mode);
    if (!this.userMovedCamera) this.view.resetView();
    this.controls.showMode(mode);
    this.element.dataset.mode = mode;
    if (this.xr.active) await this.xr.exit();
    this.state.mode = mode;
  }

  // -- playback ---------------------------------------------------------------------

  private togglePlay(): void {
    if (this.video.paused || this.video.ended) {
      this.video.play().catch((e: unknown) => this.showNotice(`Playback did not start: ${errorText(e)}`));
    } else {
      this.video.pause();
    }
  }

  private seekTo(seconds: number): void {
    const duration = Number.isFinite(this.video.duration) ? this.video.duration : this.session.video.duration_s;
    this.video.currentTime = Math.min(Math.max(seconds, 0), Math.max(duration, 0));
  }

  private seekBy(seconds: number): void {
    this.seekTo(this.video.currentTime + seconds);
  }

  /** Show the next/previous frame exactly (paused): seek into the middle of that frame. */
  private step(frames: number): void {
    const current =
      this.stream.buffer.lastDisplayedIndex >= 0
        ? this.stream.buffer.lastDisplayedIndex
        : this.times.indexForMediaTime(this.video.currentTime);
    const target = Math.min(Math.max(current + frames, 0), this.times.count - 1);
    this.video.currentTime = this.times.mediaTimeInside(target);
  }

  private onKey(action: KeyAction): void {
    switch (action.kind) {
      case "toggle-play":
        this.togglePlay();
        break;
      case "seek":
        this.seekBy(action.seconds);
        break;
      case "step":
        this.step(action.frames);
        break;
      case "fullscreen":
        void this.toggleFullscreen();
        break;
      case "cycle-mode": {
        const order: ViewMode[] = this.vrSupported ? ["normal", "sbs", "vr"] : ["normal", "sbs"];
        const now = this.xr.active ? "vr" : this.screenMode;
        const next = order[(order.indexOf(now) + 1) % order.length] as ViewMode;
        void this.setMode(next).catch((e: unknown) => this.showNotice(errorText(e)));
        break;
      }
      case "toggle-hud":
        this.hud.toggle();
        break;
      case "reset-view":
        this.resetView();
        break;
    }
  }

  private async toggleFullscreen(): Promise<void> {
    try {
      if (document.fullscreenElement) await document.exitFullscreen();
      else await this.element.requestFullscreen();
    } catch (e) {
      this.showNotice(`Fullscreen is not available: ${errorText(e)}`);
    }
  }

  // -- depth ------------------------------------------------------------------------

  /** Every presented video frame: apply the depth of exactly that frame (rVFC mediaTime). */
  private watchFrames(): void {
    const video = this.video;
    if (typeof video.requestVideoFrameCallback === "function") {
      const onFrame = (_now: number, metadata: VideoFrameCallbackMetadata): void => {
        if (this.disposed) return;
        this.applyDepth(this.stream.onVideoFrame(metadata.mediaTime).frame);
        this.view.invalidate(); // a new video frame to upload
        video.requestVideoFrameCallback(onFrame);
      };
      video.requestVideoFrameCallback(onFrame);
      return;
    }
    // Without rVFC the frame on screen is not known exactly: fall back to currentTime.
    let last = -1;
    const poll = (): void => {
      if (this.disposed) return;
      const t = video.currentTime;
      if (t !== last && video.readyState >= 2) {
        last = t;
        this.applyDepth(this.stream.onVideoFrame(t).frame);
        this.view.invalidate();
      }
      requestAnimationFrame(poll);
    };
    requestAnimationFrame(poll);
  }

  private applyDepth(frame: DepthFrame | null): void {
    if (frame === null) return;
    this.mesh.setDepth(frame);
    this.view.invalidate();
    if (!this.refitted) {
      this.refitted = true;
      this.view.setCentreDepth(this.mesh.centreDepth, !this.userMovedCamera, this.mesh.nearDepth);
      if (this.xr.active) this.placeForVr();
    }
  }

  /** Run a change to what is shown, then render it. */
  private changed(fn: () => void): void {
    fn();
    this.view.invalidate();
  }

  private setRelief(relief: number): void {
    this.mesh.setRelief(relief);
    this.view.setCentreDepth(this.mesh.centreDepth, false, this.mesh.nearDepth);
    this.view.invalidate();
  }

  private resetView(): void {
    this.userMovedCamera = false;
    this.view.setCentreDepth(this.mesh.centreDepth, true, this.mesh.nearDepth);
    if (this.xr.active) this.placeForVr();
  }

  private onHello(hello: Hello): void {
    const hasBanner = this.banners.querySelector("#random-weights-banner") !== null;
    if (hello.model.random_weights && !hasBanner) this.banners.prepend(randomWeightsBanner(true));
    if (this.params.debug) console.debug("[depthcast] hello", hello);
  }

  private onStats(_stats: Stats): void {
    // shown by the HUD from stream.lastStats
  }

  private fatal(message: string): void {
    this.state.error = message;
    this.showNotice(message, "error");
  }

  private showNotice(message: string | null, kind: "info" | "error" = "info"): void {
    if (message === null) {
      if (!this.notice.classList.contains("error")) this.notice.hidden = true;
      return;
    }
    this.notice.textContent = message;
    this.notice.className = `banner ${kind}`;
    this.notice.hidden = false;
    if (kind === "error") this.state.error = message;
  }

  // -- VR ---------------------------------------------------------------------------

  private onXrStart(): void {
    this.state.xrSessionActive = true;
    this.state.mode = "vr";
    this.controls.showMode("vr");
    this.controls.setVrActive(true);
    this.element.dataset.mode = "vr";
    this.placeForVr();
  }

  private onXrEnd(): void {
    this.state.xrSessionActive = false;
    this.state.mode = this.screenMode;
    this.controls.showMode(this.screenMode);
    this.controls.setVrActive(false);
    this.element.dataset.mode = this.screenMode;
    this.view.content.position.set(0, 0, 0);
    this.view.content.scale.setScalar(1);
    this.view.setMode(this.screenMode);
    this.view.resize();
    this.view.setCentreDepth(this.mesh.centreDepth, !this.userMovedCamera, this.mesh.nearDepth);
  }

  /** The pinhole at eye height, scaled so the scene's typical depth is ~2 m away. */
  private placeForVr(): void {
    const scale = VR_DISTANCE_M / Math.max(this.mesh.centreDepth, 1e-3);
    this.view.content.position.set(0, VR_EYE_HEIGHT_M, 0);
    this.view.content.scale.setScalar(scale);
  }

  // -- per frame --------------------------------------------------------------------

  private beforeRender(time: number): void {
    this.xrControllers.update(time);
    this.controls.sync(this.video, this.session.video.duration_s);
    if (time - this.lastHud >= 200) {
      this.lastHud = time;
      this.state.depthFps = this.stream.depthFps;
      const stats = this.stream.lastStats;
      const frame = this.mesh.currentFrame;
      const seg = this.mesh.segments;
      this.hud.update(this.state, {
        model: this.stream.hello?.model ?? null,
        serverFps: stats?.depth_fps ?? null,
        queued: stats?.queued ?? null,
        inflight: stats?.inflight ?? null,
        inferenceMs: stats?.timings.inference_ms ?? null,
        depthSize: frame ? `${frame.width}×${frame.height}` : null,
        bufferFrames: this.stream.buffer.size,
        retryInMs: this.stream.retryInMs,
        segments: `${seg.x}×${seg.y}`,
        debug: this.params.debug,
      });
    }
  }
}

function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

