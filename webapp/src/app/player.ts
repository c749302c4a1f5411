/**
 * The player page's composition root: it builds the parts (layout, renderer and mesh, depth
 * stream, view-mode controller, transport, per-frame loop, VR) and wires them to the control
 * bar, the keyboard and window.__depthcast. The parts do the work; this file only connects.
 */
import { FrameTimes } from "../depth/frameTimes";
import { describeError, getFrameTimes, getSession, type SessionInfo } from "../net/api";
import { DepthMesh, DEFAULT_EDGE_THRESHOLD, DEFAULT_RELIEF, videoShapedGeometry } from "../render/depthMesh";
import { SceneFraming } from "../render/framing";
import { probeGpu } from "../render/gpuInfo";
import { ViewRenderer } from "../render/viewRenderer";
import { DepthStream } from "../stream/depthStream";
import { AdaptiveQuality } from "./adaptiveQuality";
import { XRControllers } from "../xr/controllers";
import { installXREmulatorOnce } from "../xr/emulate";
import { isImmersiveVrSupported, XRSessionManager } from "../xr/xrSession";
import { Controls } from "./controls";
import { resetPlaybackCounters, setDebugHandlers, type DepthcastDebug } from "./debugState";
import { ExportPanel } from "./exportPanel";
import { FrameLoop } from "./frameLoop";
import { Hud } from "./hud";
import { watchPlayback } from "./playbackNotice";
import { installKeyboard, type KeyAction } from "./keyboard";
import { withMode, type ViewerParams } from "./params";
import { PlayerLayout, type NoticeKind } from "./playerLayout";
import { RemoteLink } from "./remoteLink";
import { SharePanel } from "./sharePanel";
import { Transport } from "./transport";
import { parseStereoParams } from "./stereoParams";
import { ViewModeController } from "./viewMode";

/** Default mesh density on software WebGL (SwiftShader), where vertices are expensive. */
export const SOFTWARE_DENSITY = 64;
/** Drawing-buffer budget on software WebGL (fill-bound): about 800×500. */
export const SOFTWARE_MAX_PIXELS = 400_000;

export interface PlayerCallbacks {
  back(): void;
  /** Open another session (a remote asked for it). */
  open(sessionId: string): void;
}

export class Player {
  private readonly layout: PlayerLayout;
  private readonly view: ViewRenderer;
  private readonly mesh: DepthMesh;
  private readonly framing: SceneFraming;
  private readonly stream: DepthStream;
  private readonly controls: Controls;
  private readonly hud: Hud;
  private readonly xr: XRSessionManager;
  private readonly modes: ViewModeController;
  private readonly transport: Transport;
  private readonly frames: FrameLoop;
  private readonly remote: RemoteLink;
  private readonly share: SharePanel;
  private readonly exports: ExportPanel;
  private readonly quality: AdaptiveQuality;
  private disposed = false;
  private readonly cleanups: Array<() => void> = [];

  /** Fetch the session and its frame table, then build the player. */
  static async open(
    sessionId: string,
    params: ViewerParams,
    state: DepthcastDebug,
    callbacks: PlayerCallbacks,
  ): Promise<Player> {
    const [session, times] = await Promise.all([getSession(sessionId), getFrameTimes(sessionId)]);
    if (params.xrEmulate) state.xrEmulator = await installXREmulatorOnce();
    return new Player(session, new FrameTimes(times, session.video.start_time_s), params, state, callbacks);
  }

  constructor(
    readonly session: SessionInfo,
    times: FrameTimes,
    private readonly params: ViewerParams,
    private readonly state: DepthcastDebug,
    callbacks: PlayerCallbacks,
  ) {
    resetPlaybackCounters(state);
    const gpu = probeGpu();
    if (!gpu.webgl2) throw new Error("This browser has no WebGL2, which the 3D view needs.");
    const density = params.densityFromUrl || !gpu.software ? params.density : SOFTWARE_DENSITY;
    const warn = (message: string): void => this.showNotice(message);
    const modeChange = (change: Promise<void>): void => void change.catch((e: unknown) => warn(describeError(e)));

    this.hud = new Hud(params.stats || params.debug);
    // The handlers run on user input, after the constructor has built every part they use.
    const stereo = parseStereoParams(location.search);
    this.controls = new Controls(
      {
        togglePlay: () => this.transport.togglePlay(),
        seekTo: (s) => this.transport.seekTo(s),
        setRate: (r) => this.transport.setRate(r),
        setMode: (m) => modeChange(this.modes.set(m)),
        setDensity: (d) => this.quality.setBaseDensity(d),
        setQuality: (q) => this.quality.choose(q),
        setRelief: (r) => this.redraw(() => this.framing.setRelief(r)),
        setEdgeThreshold: (t) => this.redraw(() => this.mesh.setEdgeThreshold(t)),
        setStereo: (change) => this.redraw(() => this.framing.setStereo(change)),
        resetView: () => this.framing.resetView(),
        enterVr: () => modeChange(this.modes.toggleVr()),
        fullscreen: () => void this.transport.toggleFullscreen(),
        toggleHud: () => this.hud.toggle(),
        share: () => this.share.toggle(),
        exportMenu: (panel) => this.exports.toggle(panel),
        back: () => callbacks.back(),
      },
      { quality: params.quality, density, relief: DEFAULT_RELIEF, edgeThreshold: DEFAULT_EDGE_THRESHOLD, stereo },
    );
    this.layout = new PlayerLayout(session, this.hud.element, this.controls.element, params.e2e);
    this.share = new SharePanel(session.id);
    this.exports = new ExportPanel(session, times, { video: this.layout.video, shownIndex: () => this.transport.frameOnScreen() }, state);
    this.layout.element.append(this.share.element, this.exports.element, this.exports.scenes.element);

    const shape = videoShapedGeometry(session.depth, session.video.width, session.video.height);
    this.view = new ViewRenderer(this.layout.canvas, shape, {
      preserveDrawingBuffer: params.e2e,
      antialias: !gpu.software,
      maxPixels: gpu.software ? SOFTWARE_MAX_PIXELS : Number.POSITIVE_INFINITY,
    });
    this.mesh = new DepthMesh(this.layout.video, shape, density);
    this.view.content.add(this.mesh.mesh);
    this.framing = new SceneFraming(this.view, this.mesh);
    this.framing.setStereo(stereo);

    this.stream = new DepthStream(session, times, { ...params, maxAhead: 2 * params.ahead }, this.layout.video, state, {
      onLateDepth: (frame) => this.frames.lateDepth(frame),
      onHello: (hello) => {
        if (hello.model.random_weights) this.layout.showRandomWeights();
        if (params.debug) console.debug("[depthcast] hello", hello);
      },
      onFatal: (message) => this.showNotice(message, "error"),
      onNotice: (message) => this.showNotice(message),
      onControl: (message) => {
        this.remote.receive(message);
        state.controls = this.remote.applied;
      },
      onPeers: (count) => {
        this.remote.setPeers(count);
        state.peers = count;
      },
    });

    this.xr = new XRSessionManager(this.view.renderer);
    this.modes = new ViewModeController(
      {
        scene: this.framing,
        controls: this.controls,
        xr: this.xr,
        element: this.layout.element,
        debug: state,
        writeUrl: (mode) => {
          history.replaceState(history.state, "", withMode(location.href, mode));
          this.remote.report(); // a remote shows the new mode
        },
      },
      params.mode === "vr" ? "normal" : params.mode,
    );
    this.xr.on("start", () => this.modes.xrStarted());
    this.xr.on("end", () => this.modes.xrEnded());

    const video = this.layout.video;
    this.transport = new Transport(
      video,
      times,
      session.video.duration_s,
      () => this.stream.buffer.lastDisplayedIndex,
      this.layout.element,
      warn,
    );
    this.remote = new RemoteLink(
      {
        play: () => void video.play().catch((e: unknown) => warn(`Playback did not start: ${describeError(e)}`)),
        pause: () => video.pause(),
        seekTo: (s) => this.transport.seekTo(s),
        setMode: (m) =>
          void this.modes.set(m).catch((e: unknown) =>
            warn(m === "vr" ? "The remote asked for VR: press “Enter VR” here (a headset starts VR only from its own press)." : describeError(e)),
          ),
        open: (id) => callbacks.open(id),
        position: () => ({ timeS: this.transport.timeS, paused: video.paused, mode: this.modes.mode }),
      },
      (message) => this.stream.sendControl(message),
    );
    const xrControllers = new XRControllers(this.view.renderer, this.view.scene, this.view.content, {
      togglePlay: () => this.transport.togglePlay(),
      seekBy: (s) => this.transport.seekBy(s),
    });
    this.frames = new FrameLoop({
      video,
      stream: this.stream,
      framing: this.framing,
      view: this.view,
      mesh: this.mesh,
      controls: this.controls,
      xrControllers,
      hud: this.hud,
      state,
      durationS: session.video.duration_s,
      debug: params.debug,
    });
    const { downsample, ahead, maxInflight } = params;
    const parts = { stream: this.stream, mesh: this.mesh, view: this.view, video, state, fps: session.video.fps };
    this.quality = new AdaptiveQuality(params.quality, { density, downsample, ahead, maxInflight }, parts);
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
    this.cleanups.push(installKeyboard(() => this.layout.video.paused, (action) => this.onKey(action)), this.exports.start());
    this.frames.start();
    this.stream.start();
    void isImmersiveVrSupported().then((ok) => {
      if (this.disposed) return;
      this.modes.setVrSupported(ok);
      if (ok && this.params.mode === "vr") {
        void this.modes.set("vr").catch(() => this.showNotice("Press “Enter VR” to start the immersive view."));
      }
    });
    // A file this browser cannot play: progress of the server's copy, then the copy.
    this.cleanups.push(watchPlayback(this.session, this.layout, this.state, (w) => this.redraw(() => this.mesh.setVideoWindow(w))));
    // A remote sees play, pause and seeks at once, and the position once a second.
    const report = (): void => this.remote.report();
    for (const name of ["play", "pause", "seeked"]) this.layout.video.addEventListener(name, report);
    const timer = setInterval(() => this.remote.tick(performance.now()), 250);
    this.cleanups.push(() => {
      clearInterval(timer);
      for (const name of ["play", "pause", "seeked"]) this.layout.video.removeEventListener(name, report);
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    setDebugHandlers(null);
    for (const fn of this.cleanups) fn();
    this.modes.dispose();
    this.quality.dispose();
    this.frames.stop();
    void this.xr.exit();
    this.stream.dispose();
    this.layout.dispose();
    this.mesh.dispose();
    this.view.dispose();
    this.state.canvas = null;
  }

  private onKey(action: KeyAction): void {
    switch (action.kind) {
      case "toggle-play":
        this.transport.togglePlay();
        break;
      case "seek":
        this.transport.seekBy(action.seconds);
        break;
      case "step":
        this.transport.step(action.frames);
        break;
      case "fullscreen":
        void this.transport.toggleFullscreen();
        break;
      case "cycle-mode":
        void this.modes.cycle().catch((e: unknown) => this.showNotice(describeError(e)));
        break;
      case "toggle-hud":
        this.hud.toggle();
        break;
      case "reset-view":
        this.framing.resetView();
        break;
    }
  }

  /** Run a change to what is shown, then render it. */
  private redraw(change: () => void): void {
    change();
    this.view.invalidate();
  }

  /** A notice above the stage; errors also go to window.__depthcast.error. */
  private showNotice(message: string | null, kind: NoticeKind = "info"): void {
    this.layout.showNotice(message, kind);
    if (message !== null && kind === "error") this.state.error = message;
  }
}
