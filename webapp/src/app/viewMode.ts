/**
 * The view mode's one owner. It holds the mode, and its `apply` is the only place that writes
 * it out: the renderer (screen mode, or the scene placed for the headset), the control bar,
 * the player element's `data-mode` (CSS), the URL's `?mode=` and window.__depthcast.
 *
 * "vr" is the immersive session itself: the controller asks the session to start or end and
 * follows its start and end events, so a session that ends on its own (headset taken off)
 * brings the last screen mode back.
 */
import type { ScreenMode } from "../render/viewRenderer";
import type { DepthcastDebug } from "./debugState";
import { isViewMode, VIEW_MODES, type ViewMode } from "./params";

/** The renderer's side (SceneFraming). */
export interface ModeScene {
  showScreen(mode: ScreenMode): void;
  showVr(): void;
}

/** The control bar's side (Controls). */
export interface ModeControls {
  showMode(mode: ViewMode): void;
  setVrActive(active: boolean): void;
  setVrSupported(supported: boolean): void;
}

/** The immersive session (XRSessionManager): its events must call xrStarted / xrEnded. */
export interface ImmersiveSession {
  readonly active: boolean;
  enter(): Promise<void>;
  exit(): Promise<void>;
}

export interface ViewModeTargets {
  scene: ModeScene;
  controls: ModeControls;
  xr: ImmersiveSession;
  /** The player element: CSS reads `data-mode` (the preview video hides in sbs). */
  element: { dataset: DOMStringMap };
  debug: Pick<DepthcastDebug, "mode" | "xrSessionActive">;
  /** Put `mode` into the page's URL without a history entry (history.replaceState). */
  writeUrl(mode: ViewMode): void;
}

export class ViewModeController {
  private current: ViewMode;
  /** The screen mode shown outside the headset, and restored when a session ends. */
  private screen: ScreenMode;
  private vrSupported = false;
  /** Between start() and dispose(): a disposed player's late XR events change nothing. */
  private live = false;

  constructor(
    private readonly targets: ViewModeTargets,
    initial: ScreenMode,
  ) {
    this.current = initial;
    this.screen = initial;
  }

  get mode(): ViewMode {
    return this.current;
  }

  get screenMode(): ScreenMode {
    return this.screen;
  }

  /** Show the initial mode everywhere. */
  start(): void {
    this.live = true;
    this.apply(this.screen);
  }

  dispose(): void {
    this.live = false;
  }

  /** Switch to a screen mode (VIEW_MODES) or "vr" (which starts the immersive session); rejects others. */
  async set(mode: string): Promise<void> {
    if (!isViewMode(mode)) throw new Error(`unknown mode "${mode}" (${VIEW_MODES.join(", ")})`);
    const { xr } = this.targets;
    if (mode === "vr") {
      if (xr.active) return;
      try {
        await xr.enter(); // its start event applies "vr"
      } catch (error) {
        this.apply(this.current); // the mode select may show "vr": put it back
        throw error;
      }
      return;
    }
    this.screen = mode;
    if (xr.active) await xr.exit(); // its end event applies the screen mode
    else this.apply(mode);
  }

  /** The `m` key: normal → sbs → cross → tb → ... → anaglyph-plain → vr (where supported) → normal. */
  cycle(): Promise<void> {
    const order: ViewMode[] = VIEW_MODES.filter((m) => m !== "vr" || this.vrSupported);
    const next = order[(order.indexOf(this.current) + 1) % order.length] as ViewMode;
    return this.set(next);
  }

  /** The VR button: into the headset, or back to the last screen mode. */
  toggleVr(): Promise<void> {
    return this.set(this.targets.xr.active ? this.screen : "vr");
  }

  setVrSupported(supported: boolean): void {
    this.vrSupported = supported;
    this.targets.controls.setVrSupported(supported);
  }

  xrStarted(): void {
    this.apply("vr");
  }

  xrEnded(): void {
    this.apply(this.screen);
  }

  /** The one writer: everything that shows the mode changes here, together. */
  private apply(mode: ViewMode): void {
    if (!this.live) return;
    this.current = mode;
    const { scene, controls, element, debug } = this.targets;
    if (mode === "vr") scene.showVr();
    else scene.showScreen(mode);
    controls.showMode(mode);
    controls.setVrActive(mode === "vr");
    element.dataset.mode = mode;
    debug.mode = mode;
    debug.xrSessionActive = mode === "vr";
    this.targets.writeUrl(mode);
  }
}
