/**
 * The scene view (`?session=ID&scene=JOB`): a scene job's fused point cloud and camera path,
 * growing as its chunks finish, in the orbit view, side by side or in WebXR (metric scenes
 * life-size). Its composition root: it builds the renderer, the cloud, the path and their
 * framing (scene/), follows the job's events, fetches each finished chunk (scene/sceneFeed.ts)
 * and wires the control bar, the keyboard, the headset and window.__depthcast.scene.
 */
import { describeError, getHealth, getSession, type SessionInfo } from "../net/api";
import { fetchChunkCameras, fetchSceneChunk, getScene, isSceneFinished, watchScene, type SceneJobInfo, type SceneWatch } from "../net/scenes";
import { probeGpu } from "../render/gpuInfo";
import { ViewRenderer } from "../render/viewRenderer";
import { CameraPath } from "../scene/cameraPath";
import { CloudFraming, DEFAULT_GEOMETRY } from "../scene/cloudFraming";
import { ScenePointCloud } from "../scene/pointCloud";
import { SceneFeed } from "../scene/sceneFeed";
import { XRControllers } from "../xr/controllers";
import { installXREmulatorOnce } from "../xr/emulate";
import { isImmersiveVrSupported, XRSessionManager } from "../xr/xrSession";
import { setDebugHandlers, type DepthcastDebug, type SceneDebug } from "./debugState";
import { installKeyboard, type KeyAction } from "./keyboard";
import { withMode, type ViewerParams } from "./params";
import { SceneJobView } from "./sceneJobView";
import { SceneLayout } from "./sceneLayout";
import { parseStereoParams } from "./stereoParams";
import { ViewModeController } from "./viewMode";

/** Drawing-buffer budget on software WebGL, as the player's. */
const SOFTWARE_MAX_PIXELS = 400_000;
/** Wait before reading the job again after its event stream dropped. */
const RECHECK_MS = 1000;

export interface ScenePageCallbacks {
  /** Back to the session's player. */
  back(): void;
}

export class ScenePage {
  readonly title: string;
  readonly layout: SceneLayout;
  private readonly jobView: SceneJobView;
  private readonly view: ViewRenderer;
  private readonly cloud = new ScenePointCloud();
  private readonly path = new CameraPath();
  private readonly framing: CloudFraming;
  private readonly feed: SceneFeed;
  private readonly xr: XRSessionManager;
  private readonly modes: ViewModeController;
  private readonly debug: SceneDebug;
  private watch: SceneWatch | null = null;
  private recheckTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly cleanups: Array<() => void> = [];
  private disposed = false;

  static async open(sessionId: string, jobId: string, params: ViewerParams, state: DepthcastDebug, callbacks: ScenePageCallbacks): Promise<ScenePage> {
    const [session, job, health] = await Promise.all([getSession(sessionId), getScene(sessionId, jobId), getHealth()]);
    if (params.xrEmulate) state.xrEmulator = await installXREmulatorOnce();
    const page = new ScenePage(session, job, params, state, callbacks);
    if (health.random_weights) page.layout.showRandomWeights();
    return page;
  }

  constructor(
    readonly session: SessionInfo,
    private job: SceneJobInfo,
    private readonly params: ViewerParams,
    private readonly state: DepthcastDebug,
    callbacks: ScenePageCallbacks,
  ) {
    this.title = `Scene · ${session.filename}`;
    const gpu = probeGpu();
    if (!gpu.webgl2) throw new Error("This browser has no WebGL2, which the 3D view needs.");
    const warn = (e: unknown): void => this.layout.showNotice(describeError(e), true);
    this.jobView = new SceneJobView(job);
    this.layout = new SceneLayout(session, this.jobView.element, {
      back: () => callbacks.back(),
      setMode: (mode) => void this.modes.set(mode).catch(warn),
      resetView: () => this.framing.resetView(),
      setPointFactor: (factor) => this.framing.setPointFactor(factor),
      enterVr: () => void this.modes.toggleVr().catch(warn),
    });
    this.view = new ViewRenderer(this.layout.canvas, DEFAULT_GEOMETRY, {
      preserveDrawingBuffer: params.e2e,
      antialias: !gpu.software,
      maxPixels: gpu.software ? SOFTWARE_MAX_PIXELS : Number.POSITIVE_INFINITY,
    });
    // ?strength=, ?convergence=, ?eyeSep= for the stereo layouts, ?eyeHeight= in the headset
    Object.assign(this.view.stereo.settings, parseStereoParams(location.search));
    this.framing = new CloudFraming(this.view, this.cloud, this.path);
    this.framing.setJob(job.metric, job.voxel);
    this.debug = {
      jobId: job.id, state: job.state, metric: job.metric, chunksDone: 0, chunksTotal: 0, framesDone: 0,
      chunksLoaded: 0, chunkPoints: [], points: 0, cameraVertices: 0, vrScale: 1, problem: null,
    };
    this.feed = new SceneFeed(
      { chunk: (k) => fetchSceneChunk(job, k), chunkCameras: (k) => fetchChunkCameras(job, k) },
      {
        addChunk: (chunk) => {
          this.cloud.add(chunk);
          this.framing.refresh();
          this.report();
        },
        setCameras: (cameras) => {
          this.framing.setCameras(cameras.cameras);
          this.report();
        },
        problem: (message) => {
          this.debug.problem = message;
          if (message !== null) this.layout.showNotice(`The scene could not be read: ${message}`, true);
        },
      },
    );
    this.xr = new XRSessionManager(this.view.renderer);
    this.modes = new ViewModeController(
      {
        scene: this.framing,
        controls: this.layout,
        xr: this.xr,
        element: this.layout.element,
        debug: state,
        writeUrl: (mode) => history.replaceState(history.state, "", withMode(location.href, mode)),
      },
      params.mode === "vr" ? "normal" : params.mode,
    );
    this.xr.on("start", () => this.modes.xrStarted());
    this.xr.on("end", () => this.modes.xrEnded());
    // grip to move the scene, both grips to scale it; trigger and stick have nothing to play
    const hands = new XRControllers(this.view.renderer, this.view.scene, this.view.content, { togglePlay: () => undefined, seekBy: () => undefined });
    this.view.onBeforeRender((time) => hands.update(time));
  }

  mount(parent: HTMLElement): void {
    parent.append(this.layout.element);
    this.state.canvas = this.layout.canvas;
    this.state.sessionId = this.session.id;
    this.state.phase = "scene";
    this.state.scene = this.debug;
    this.modes.start();
    setDebugHandlers({
      setMode: (mode) => void this.modes.set(mode).catch((e: unknown) => this.layout.showNotice(describeError(e), true)),
      enterXR: () => this.modes.set("vr"),
    });
    this.cleanups.push(installKeyboard(() => true, (action) => this.onKey(action)));
    this.receive(this.job);
    void isImmersiveVrSupported().then((ok) => {
      if (this.disposed) return;
      this.modes.setVrSupported(ok);
      if (ok && this.params.mode === "vr") void this.modes.set("vr").catch(() => this.layout.showNotice("Press “Enter VR” to start the immersive view."));
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    setDebugHandlers(null);
    for (const fn of this.cleanups) fn();
    this.watch?.close();
    if (this.recheckTimer !== null) clearTimeout(this.recheckTimer);
    this.feed.stop();
    this.modes.dispose();
    void this.xr.exit();
    this.layout.dispose();
    this.cloud.dispose();
    this.path.dispose();
    this.view.dispose();
    this.state.canvas = null;
    this.state.scene = null;
  }

  /** A report of the job: show it, fetch what it finished, follow it while it runs. */
  private receive(info: SceneJobInfo): void {
    if (this.disposed) return;
    this.job = info;
    this.jobView.show(info);
    this.framing.setJob(info.metric, info.voxel);
    Object.assign(this.debug, {
      state: info.state, metric: info.metric, chunksDone: info.progress.chunks_done,
      chunksTotal: info.progress.chunks_total, framesDone: info.progress.frames_done,
    });
    this.report();
    void this.feed.update(info);
    if (info.state === "failed") this.layout.showNotice(`The scene job failed: ${info.error ?? "no reason given"}`, true);
    if (!isSceneFinished(info.state) && this.watch === null) {
      this.watch = watchScene(info, (next) => {
        if (isSceneFinished(next.state)) this.watch = null;
        this.receive(next);
      }, () => {
        this.watch = null;
        this.recheckTimer = setTimeout(() => void this.recheck(), RECHECK_MS);
      });
    }
  }

  private async recheck(): Promise<void> {
    this.recheckTimer = null;
    try {
      this.receive(await getScene(this.job.session_id, this.job.id));
    } catch (e) {
      if (!this.disposed) this.layout.showNotice(`The scene job is gone: ${describeError(e)}`, true);
    }
  }

  /** The figures in the status line and in window.__depthcast.scene. */
  private report(): void {
    const d = this.debug;
    d.chunksLoaded = this.feed.chunksLoaded;
    d.chunkPoints = [...this.cloud.chunkCounts];
    d.points = this.cloud.points.geometry.drawRange.count;
    d.cameraVertices = this.path.vertexCount;
    d.vrScale = this.framing.vrScale;
    const scale = d.metric ? "metric: 1 m = 1 m in VR" : `relative: ×${d.vrScale.toPrecision(3)} in VR`;
    this.layout.status.textContent = `${d.points.toLocaleString("en-US")} points from ${d.chunksLoaded} of ${d.chunksTotal} chunks · ${d.cameraVertices} cameras · ${scale}`;
    this.view.invalidate();
  }

  private onKey(action: KeyAction): void {
    if (action.kind === "cycle-mode") void this.modes.cycle().catch((e: unknown) => this.layout.showNotice(describeError(e), true));
    else if (action.kind === "reset-view") this.framing.resetView();
  }
}
