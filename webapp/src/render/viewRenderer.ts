/**
 * The WebGL renderer, scene and cameras: orbit view ("normal"), stereo on the screen (side by
 * side, cross-eyed, top and bottom, anaglyph: render/stereo.ts, with render/comfort.ts's eye
 * separation and zero-parallax plane), and WebXR when renderer.xr is presenting.
 */
import * as THREE from "three";
import { OrbitControls } from "three/addons/controls/OrbitControls.js";
import type { DepthGeometry } from "../net/protocol";
import { ComfortController, type DepthSpan, type StereoParams } from "./comfort";
import { eyeAspectFactor, StereoRenderer, type StereoMode } from "./stereo";

export type ScreenMode = "normal" | StereoMode;

export interface ViewRendererOptions {
  preserveDrawingBuffer: boolean;
  antialias: boolean;
  /** Most drawing-buffer pixels (software renderers are fill-bound); Infinity: no limit. */
  maxPixels: number;
}

/** Initial orbit around the centre of the scene, so the relief is visible at once. */
const DEFAULT_YAW_RAD = THREE.MathUtils.degToRad(22);
const DEFAULT_PITCH_RAD = THREE.MathUtils.degToRad(8);
/** Share of the view (in NDC) kept free around the scene box in the default view. */
const BOX_MARGIN = 0.04;
/** The default view backs away at most this many times its distance to fit the scene. */
const MAX_BACK_OFF = 8;

export class ViewRenderer {
  readonly renderer: THREE.WebGLRenderer;
  readonly scene = new THREE.Scene();
  readonly camera: THREE.PerspectiveCamera;
  readonly controls: OrbitControls;
  /** Everything shown: in VR it is moved and scaled as a whole. */
  readonly content = new THREE.Group();
  readonly stereo = new StereoRenderer();
  readonly comfort = new ComfortController();
  /** The stereo parameters last rendered with (null: not in a stereo mode). */
  stereoParams: StereoParams | null = null;
  /** The depth shown: its robust nearest and farthest, from the pinhole (render/depthSpan.ts). */
  private span: DepthSpan | null = null;
  private mode: ScreenMode = "normal";
  private readonly resizeObserver: ResizeObserver;
  private readonly beforeRender: Array<(time: number, frame: XRFrame | undefined) => void> = [];
  private centre = 1.5;
  private near = 1;
  /** Points the default view must show (the mesh's box); empty: the pinhole's fit only. */
  private sceneBox: THREE.Vector3[] = [];
  private geometry: DepthGeometry;
  private readonly maxPixels: number;
  /** Something changed since the last render (render on demand while nothing moves). */
  private dirty = true;

  constructor(
    readonly canvas: HTMLCanvasElement,
    geometry: DepthGeometry,
    options: ViewRendererOptions,
  ) {
    this.geometry = geometry;
    this.renderer = new THREE.WebGLRenderer({
      canvas,
      antialias: options.antialias,
      preserveDrawingBuffer: options.preserveDrawingBuffer,
      powerPreference: "high-performance",
    });
    this.maxPixels = options.maxPixels;
    this.comfort.settings = this.stereo.settings; // one object: the controls change both
    this.renderer.outputColorSpace = THREE.SRGBColorSpace;
    this.renderer.setClearColor(0x101014, 1);
    this.renderer.xr.enabled = true;
    this.renderer.xr.setReferenceSpaceType("local-floor");

    this.camera = new THREE.PerspectiveCamera(50, 1, 0.01, 2000);
    this.scene.add(this.camera);
    this.scene.add(this.content);
    this.controls = new OrbitControls(this.camera, canvas);
    this.controls.enableDamping = true;
    this.controls.dampingFactor = 0.12;
    this.controls.screenSpacePanning = true;
    this.controls.addEventListener("change", () => this.invalidate());

    const parent = canvas.parentElement ?? canvas;
    this.resizeObserver = new ResizeObserver(() => this.resize());
    this.resizeObserver.observe(parent);
    this.resize();
    this.resetView();
    this.renderer.setAnimationLoop((time, frame) => this.frame(time, frame));
  }

  /** Called before every rendered frame (screen or XR). */
  onBeforeRender(fn: (time: number, frame: XRFrame | undefined) => void): void {
    this.beforeRender.push(fn);
  }

  setMode(mode: ScreenMode): void {
    this.mode = mode;
    if (mode === "normal") this.stereoParams = null;
    if (mode !== "anaglyph" && mode !== "anaglyph-plain") this.stereo.releaseAnaglyph();
    this.invalidate();
  }

  /** The depth span of the frame shown, in scene units from the pinhole (stereo comfort). */
  setDepthSpan(span: DepthSpan | null): void {
    this.span = span;
    this.invalidate();
  }

  /** Frame other intrinsics (a live source changed size). */
  setGeometry(geometry: DepthGeometry): void {
    this.geometry = geometry;
    this.fitFov();
    this.invalidate();
  }

  /** Render the next frame (the view only renders when something changed). */
  invalidate(): void {
    this.dirty = true;
  }

  /**
   * The scene's typical and nearest depths changed (first depth frame, relief): refit the
   * default view if asked. Stereo converges on the nearest depth, so the scene sits behind
   * the screen.
   */
  setCentreDepth(depth: number, refit: boolean, near = depth): void {
    this.centre = depth;
    this.near = Math.min(Math.max(near, 1e-3), depth);
    if (refit) this.resetView();
    this.invalidate();
  }

  /** The points the default view must show (SceneFraming: the mesh's box), in content space. */
  setSceneBox(corners: THREE.Vector3[]): void {
    this.sceneBox = corners.map((c) => c.clone());
  }

  /**
   * Back to the default view: orbit mode looks from slightly to the side of the camera's
   * pinhole (so the relief shows); stereo looks from the pinhole itself (depth from parallax).
   * Seen from the side, the near corners of the mesh come closer than from the pinhole: the
   * camera backs away along its line of sight until the whole scene box is in view.
   */
  resetView(): void {
    const target = new THREE.Vector3(0, 0, -this.centre);
    const oblique = this.mode === "normal";
    const offset = new THREE.Vector3(0, 0, this.centre)
      .applyAxisAngle(new THREE.Vector3(1, 0, 0), oblique ? -DEFAULT_PITCH_RAD : 0)
      .applyAxisAngle(new THREE.Vector3(0, 1, 0), oblique ? DEFAULT_YAW_RAD : 0);
    this.controls.target.copy(target);
    this.camera.near = Math.max(this.centre / 500, 0.001);
    this.camera.far = Math.max(this.centre * 200, 100);
    this.fitFov();
    const place = (k: number): void => {
      this.camera.position.copy(target).addScaledVector(offset, k);
      this.camera.lookAt(target);
      this.camera.updateMatrixWorld();
    };
    let lo = 1;
    let hi = 1;
    if (oblique && this.sceneBox.length > 0) {
      while (hi < MAX_BACK_OFF && !this.showsBox(place, hi)) hi *= 1.5;
      if (hi > 1) {
        lo = hi / 1.5;
        for (let i = 0; i < 20; i++) {
          const mid = (lo + hi) / 2;
          if (this.showsBox(place, mid)) hi = mid;
          else lo = mid;
        }
      }
    }
    place(hi);
    this.controls.update();
    this.invalidate();
  }

  /** Whether the camera placed at `k` times the default distance shows every box corner. */
  private showsBox(place: (k: number) => void, k: number): boolean {
    place(k);
    this.content.updateMatrixWorld();
    this.camera.matrixWorldInverse.copy(this.camera.matrixWorld).invert();
    const p = new THREE.Vector3();
    const limit = 1 - BOX_MARGIN;
    return this.sceneBox.every((corner) => {
      p.copy(corner).applyMatrix4(this.content.matrixWorld).applyMatrix4(this.camera.matrixWorldInverse);
      if (p.z >= -this.camera.near) return false; // behind the camera
      p.applyMatrix4(this.camera.projectionMatrix);
      return Math.abs(p.x) <= limit && Math.abs(p.y) <= limit;
    });
  }

  dispose(): void {
    this.renderer.setAnimationLoop(null);
    this.resizeObserver.disconnect();
    this.controls.dispose();
    this.stereo.dispose();
    this.renderer.dispose();
  }

  /** Fit the drawing buffer to the canvas's box (also after leaving XR). */
  resize(): void {
    if (this.renderer.xr.isPresenting) return;
    const parent = this.canvas.parentElement;
    const width = Math.max(1, Math.floor(parent?.clientWidth ?? this.canvas.clientWidth ?? 1));
    const height = Math.max(1, Math.floor(parent?.clientHeight ?? this.canvas.clientHeight ?? 1));
    const ratio = Math.min(window.devicePixelRatio || 1, 2, Math.sqrt(this.maxPixels / (width * height)));
    this.renderer.setPixelRatio(ratio);
    this.renderer.setSize(width, height, true);
    this.camera.aspect = width / height;
    this.fitFov();
    this.invalidate();
  }

  /** A vertical field of view that shows the whole video (its intrinsics) in the canvas. */
  private fitFov(): void {
    const g = this.geometry;
    const halfV = 0.5 / Math.max(g.fy_norm, 1e-6);
    const halfH = 0.5 / Math.max(g.fx_norm, 1e-6);
    const aspect = this.camera.aspect * (this.mode === "normal" ? 1 : eyeAspectFactor(this.mode, this.stereo.settings.width));
    const tanHalf = Math.max(halfV, halfH / Math.max(aspect, 1e-6)) * 1.2;
    const fov = THREE.MathUtils.radToDeg(2 * Math.atan(tanHalf));
    if (Math.abs(fov - this.camera.fov) > 1e-6) {
      this.camera.fov = fov;
    }
    this.camera.updateProjectionMatrix();
  }

  private frame(time: number, xrFrame: XRFrame | undefined): void {
    for (const fn of this.beforeRender) fn(time, xrFrame);
    if (this.renderer.xr.isPresenting) {
      this.renderer.render(this.scene, this.camera);
      return;
    }
    const moving = this.controls.update(); // damping still settling
    const mode = this.mode;
    const stereo = mode === "normal" ? null : this.updateComfort(time);
    if (!this.dirty && !moving && stereo === null) return;
    this.dirty = false;
    this.fitFov();
    if (mode === "normal") this.renderer.render(this.scene, this.camera);
    else if (this.stereoParams) this.stereo.render(this.renderer, this.scene, this.camera, mode, this.stereoParams.focus, this.stereoParams.eyeSep);
  }

  /**
   * Feed the comfort controller this frame's span, as distances from the camera (it looks along
   * the pinhole's axis in stereo; a dolly adds its offset). Returns the new parameters when they
   * moved enough to be seen (the smoothing still settling), else null.
   */
  private updateComfort(time: number): StereoParams | null {
    const offset = this.camera.position.distanceTo(this.controls.target) - this.centre;
    const minimum = this.camera.near * 4;
    const base = this.span ?? { near: this.near, far: this.centre };
    const span = { near: Math.max(base.near + offset, minimum), far: Math.max(base.far + offset, minimum) };
    this.fitFov();
    const tanHalfV = Math.tan(THREE.MathUtils.degToRad(this.camera.fov / 2));
    const eyeAspect = this.mode === "normal" ? 1 : this.camera.aspect * eyeAspectFactor(this.mode, this.stereo.settings.width);
    const next = this.comfort.update(span, time, 1 / (2 * tanHalfV * eyeAspect));
    const last = this.stereoParams;
    this.stereoParams = next;
    const moved = last === null || Math.abs(next.focus / last.focus - 1) > 1e-4 || Math.abs(next.eyeSep - last.eyeSep) > 1e-4 * Math.max(last.eyeSep, 1e-6);
    return moved ? next : null;
  }
}
