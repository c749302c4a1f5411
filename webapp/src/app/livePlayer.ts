/**
 * The live player's composition root (docs/PROTOCOL.md, "Live sessions"): the renderer and
 * mesh as for a file, a LiveStream instead of a video and its depth stream, and, when this
 * page captured the source, a CaptureSender that sends its frames. Each picture is shown on
 * the mesh with its own depth, in 3D, side by side or in the headset.
 */
import { describeError } from "../net/api";
import { endLiveSession } from "../net/live";
import type { LiveSessionOut } from "../net/protocol";
import { DepthMesh, DEFAULT_EDGE_THRESHOLD, DEFAULT_RELIEF, videoShapedGeometry } from "../render/depthMesh";
import { SceneFraming } from "../render/framing";
import { probeGpu } from "../render/gpuInfo";
import { ViewRenderer } from "../render/viewRenderer";
import { CaptureSender } from "../stream/captureSender";
import { epochNowMs } from "../stream/liveClock";
import { freshLiveCounters, type LiveCounters } from "../stream/liveCounters";
import { LiveStream, type LiveFrame } from "../stream/liveStream";
import { XRControllers } from "../xr/controllers";
import { installXREmulatorOnce } from "../xr/emulate";
import { isImmersiveVrSupported, XRSessionManager } from "../xr/xrSession";
import { Controls } from "./controls";
import { resetPlaybackCounters, setDebugHandlers, type DepthcastDebug } from "./debugState";
import { HUD_INTERVAL_MS } from "./frameLoop";
import { Hud } from "./hud";
import { installKeyboard } from "./keyboard";
import { takeCapture } from "./liveCaptures";
import { updateLiveHud } from "./liveHud";
import { LiveLayout, sourceTitle } from "./liveLayout";
import { withMode, type ViewerParams } from "./params";
import type { PlayerCallbacks } from "./player";
import { SOFTWARE_DENSITY, SOFTWARE_MAX_PIXELS } from "./player";
import type { NoticeKind } from "./playerLayout";
import { SharePanel } from "./sharePanel";
import { parseStereoParams } from "./stereoParams";
import { ViewModeController } from "./viewMode";

const nothing = (): void => undefined;

export class LivePlayer {
  private readonly layout: LiveLayout;
  private readonly view: ViewRenderer;
  private readonly mesh: DepthMesh;
  private readonly framing: SceneFraming;
  private readonly stream: LiveStream;
  private readonly sender: CaptureSender | null;
  private readonly controls: Controls;
  private readonly hud: Hud;
  private readonly xr: XRSessionManager;
  private readonly modes: ViewModeController;
  private readonly share: SharePanel;
  private readonly live: LiveCounters;
  private readonly xrControllers: XRControllers;
  private readonly cleanups: Array<() => void> = [];
  /** A pair set on the mesh and not yet drawn: its latency is taken at the next render. */
  private pending: LiveFrame | null = null;
  private lastHud = Number.NEGATIVE_INFINITY;
  private sessionEnded = false;
  private disposed = false;

  static async open(session: LiveSessionOut, params: ViewerParams, state: DepthcastDebug, callbacks: PlayerCallbacks): Promise<LivePlayer> {
    if (params.xrEmulate) state.xrEmulator = await installXREmulatorOnce();
    return new LivePlayer(session, params, state, callbacks);
  }

  constructor(
    readonly session: LiveSessionOut,
    private readonly params: ViewerParams,
    private readonly state: DepthcastDebug,
    callbacks: PlayerCallbacks,
  ) {
    resetPlaybackCounters(state);
    const capture = takeCapture(session.id);
    this.live = freshLiveCounters(capture !== null);
    state.live = this.live;
    const gpu = probeGpu();
    if (!gpu.webgl2) throw new Error("This browser has no WebGL2, which the 3D view needs.");
    const density = params.densityFromUrl || !gpu.software ? params.density : SOFTWARE_DENSITY;
    const modeChange = (change: Promise<void>): void => void change.catch((e: unknown) => this.showNotice(describeError(e)));

    this.hud = new Hud(params.stats || params.debug);
    const stereo = parseStereoParams(location.search);
    this.controls = new Controls(
      {
        togglePlay: nothing,
        seekTo: nothing,
        setRate: nothing,
        setQuality: nothing,
        exportMenu: nothing,
        setMode: (m) => modeChange(this.modes.set(m)),
        setDensity: (d) => this.redraw(() => this.mesh.setDensity(d)),
        setRelief: (r) => this.redraw(() => this.framing.setRelief(r)),
        setEdgeThreshold: (t) => this.redraw(() => this.mesh.setEdgeThreshold(t)),
        setStereo: (change) => this.redraw(() => this.framing.setStereo(change)),
        resetView: () => this.framing.resetView(),
        enterVr: () => modeChange(this.modes.toggleVr()),
        fullscreen: () => void this.toggleFullscreen(),
        toggleHud: () => this.hud.toggle(),
        share: () => this.share.toggle(),
        back: () => callbacks.back(),
      },
      { quality: params.quality, density, relief: DEFAULT_RELIEF, edgeThreshold: DEFAULT_EDGE_THRESHOLD, stereo },
    );
    this.controls.hideFileControls();
    this.layout = new LiveLayout(session, this.hud.element, this.controls.element);
    this.share = new SharePanel(session.id);
    this.layout.element.append(this.share.element);

    const shape = videoShapedGeometry(session.depth, session.video.width, session.video.height);
    this.view = new ViewRenderer(this.layout.canvas, shape, {
      preserveDrawingBuffer: params.e2e,
      antialias: !gpu.software,
      maxPixels: gpu.software ? SOFTWARE_MAX_PIXELS : Number.POSITIVE_INFINITY,
    });
    this.mesh = new DepthMesh(null, shape, density);
    this.view.content.add(this.mesh.mesh);
    this.framing = new SceneFraming(this.view, this.mesh);
    this.framing.setStereo(stereo);

    this.stream = new LiveStream(session, params, state, this.live, {
      onHello: (hello) => {
        if (hello.model.random_weights) this.layout.showRandomWeights();
      },
      onFrame: (frame) => this.showFrame(frame),
      onFormat: (format) => {
        this.framing.setGeometry(videoShapedGeometry(format.depth, format.video.width, format.video.height));
        this.layout.showFormat(format.video);
      },
      onStatus: (live) => {
        this.layout.showState(live.state);
        if (live.state === "reconnecting") this.showNotice(`The source dropped; reconnecting…${live.error ? ` (${live.error})` : ""}`);
        else if (live.state === "live") this.showNotice(null);
      },
      onEnded: (message) => {
        this.layout.showState("ended");
        this.showNotice(`The live session is over: ${message}`);
        this.sender?.dispose();
      },
      onFatal: (message) => this.showNotice(message, "error"),
      onNotice: (message) => this.showNotice(message),
      onPeers: (count) => (state.peers = count),
    });
    this.sender = capture === null ? null : new CaptureSender(capture.media, capture, { send: (b) => this.stream.sendFrame(b) }, this.live, (m) => this.showNotice(m));
    if (this.sender !== null) {
      this.stream.attachSender(this.sender);
      this.layout.addPreview(this.sender.video);
      this.sender.onTrackEnded(() => this.captureEnded());
    }

    this.xr = new XRSessionManager(this.view.renderer);
    this.modes = new ViewModeController(
      {
        scene: this.framing,
        controls: this.controls,
        xr: this.xr,
        element: this.layout.element,
        debug: state,
        writeUrl: (mode) => history.replaceState(history.state, "", withMode(location.href, mode)),
      },
      params.mode === "vr" ? "normal" : params.mode,
    );
    this.xr.on("start", () => this.modes.xrStarted());
    this.xr.on("end", () => this.modes.xrEnded());
    this.xrControllers = new XRControllers(this.view.renderer, this.view.scene, this.view.content, { togglePlay: nothing, seekBy: nothing });
    this.view.onBeforeRender((time) => this.beforeRender(time));
  }

  /** The page title: the source. */
  get title(): string {
    return `${sourceTitle(this.session.live)} (live)`;
  }

  mount(parent: HTMLElement): void {
    parent.append(this.layout.element);
    this.state.canvas = this.layout.canvas;
    this.state.sessionId = this.session.id;
    this.state.phase = "player";
    this.modes.start();
    setDebugHandlers({
      setMode: (mode) => void this.modes.set(mode).catch((e: unknown) => this.showNotice(describeError(e))),
      enterXR: () => this.modes.set("vr"),
    });
    this.cleanups.push(
      installKeyboard(
        () => true,
        (action) => {
          if (action.kind === "fullscreen") void this.toggleFullscreen();
          else if (action.kind === "cycle-mode") void this.modes.cycle().catch((e: unknown) => this.showNotice(describeError(e)));
          else if (action.kind === "toggle-hud") this.hud.toggle();
          else if (action.kind === "reset-view") this.framing.resetView();
        },
      ),
    );
    if (this.sender !== null) {
      // the tab closes: the camera goes with it, and so does its session
      const leave = (): void => this.endOwnSession();
      window.addEventListener("pagehide", leave);
      this.cleanups.push(() => window.removeEventListener("pagehide", leave));
      this.sender.start();
    }
    this.stream.start();
    void isImmersiveVrSupported().then((ok) => {
      if (this.disposed) return;
      this.modes.setVrSupported(ok);
      if (ok && this.params.mode === "vr") {
        void this.modes.set("vr").catch(() => this.showNotice("Press “Enter VR” to start the immersive view."));
      }
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    setDebugHandlers(null);
    for (const fn of this.cleanups) fn();
    this.modes.dispose();
    void this.xr.exit();
    this.stream.dispose();
    if (this.sender !== null) {
      this.sender.dispose(); // the camera's light goes off
      this.endOwnSession(); // nobody sends its frames any more
    }
    this.layout.dispose();
    this.mesh.dispose();
    this.view.dispose();
    this.state.canvas = null;
  }

  private showFrame(frame: LiveFrame): void {
    if (this.disposed) {
      frame.picture.bitmap.close();
      return;
    }
    this.mesh.setPicture(frame.picture.bitmap); // the picture it replaces is closed
    this.framing.showDepth(frame.depth);
    this.pending = frame;
    this.view.invalidate();
  }

  private beforeRender(time: number): void {
    this.xrControllers.update(time);
    if (this.pending !== null) {
      this.stream.noteShown(this.pending, epochNowMs()); // drawn in this render
      this.pending = null;
    }
    if (time - this.lastHud < HUD_INTERVAL_MS) return;
    this.lastHud = time;
    this.state.stereo = this.framing.stereoReport;
    this.stream.refreshRates();
    const frame = this.mesh.currentFrame;
    const seg = this.mesh.segments;
    updateLiveHud(this.hud, this.state, this.live, {
      model: this.stream.hello?.model ?? null,
      stats: this.stream.lastStats,
      retryInMs: this.stream.retryInMs,
      depthSize: frame ? `${frame.width}×${frame.height}` : null,
      segments: `${seg.x}×${seg.y}`,
      debug: this.params.debug,
    });
  }

  /** This page's camera or screen stopped (the user ended sharing): so does the session. */
  private captureEnded(): void {
    if (this.disposed) return;
    this.sender?.dispose();
    this.showNotice("The capture stopped, so the live session ended.");
    this.endOwnSession();
  }

  /** End the session this page's capture fed (once; a later 404 is what was wanted). */
  private endOwnSession(): void {
    if (this.sessionEnded) return;
    this.sessionEnded = true;
    void endLiveSession(this.session.id).catch(nothing);
  }

  private async toggleFullscreen(): Promise<void> {
    try {
      if (document.fullscreenElement) await document.exitFullscreen();
      else await this.layout.element.requestFullscreen();
    } catch (e) {
      this.showNotice(`Fullscreen is not available: ${describeError(e)}`);
    }
  }

  private redraw(change: () => void): void {
    change();
    this.view.invalidate();
  }

  private showNotice(message: string | null, kind: NoticeKind = "info"): void {
    this.layout.showNotice(message, kind);
    if (message !== null && kind === "error") this.state.error = message;
  }
}
