/**
 * Where the scene sits: the default camera fitted to the depth (once, when the first depth
 * arrives, unless the user has moved the camera) so that the whole mesh is in view, the reset
 * view, and the placement in front of the headset while an immersive session runs:
 *
 * - life-size (a metric model, `vrScale` "life"): one metre of depth is one metre in the
 *   headset, the recorded camera's pinhole at `eyeHeight` above the floor where the session
 *   started, looking ahead (-z);
 * - a screen in a room (a relative model, or `vrScale` "screen"): the scene scaled so that its
 *   zero-parallax depth (the comfort `convergence`) is `VR_DISTANCE_M` away, its depth scaled by
 *   `strength` about that plane.
 */
import * as THREE from "three";
import type { DepthFrame } from "../depth/depthFrame";
import type { DepthGeometry } from "../net/protocol";
import { zeroParallaxDepth, type DepthSpan, type StereoParams } from "./comfort";
import { depthSpanOf } from "./depthSpan";
import { DEFAULT_STEREO, type StereoSettings, type VrScale } from "./stereo";
import type { DepthMesh } from "./depthMesh";
import type { ScreenMode, ViewRenderer } from "./viewRenderer";

/** In VR, as a screen, the scene's zero-parallax depth is placed this far in front of the viewer. */
export const VR_DISTANCE_M = 2;
/** The default height of the recorded camera above the floor (also the scene view's). */
export const VR_EYE_HEIGHT_M = DEFAULT_STEREO.eyeHeight;

/** What the headset shows: the scale in force and what it was chosen from. */
export interface VrPlacement {
  scale: VrScale;
  /** The depth shown is metric (the frame's header flag 2, the hello's `model.metric`). */
  metric: boolean;
  /** Metres in the headset per scene unit (1: life-size). */
  metresPerUnit: number;
  eyeHeight: number;
}

/**
 * The corners of the box the mesh lies in: the picture's four corners unprojected (as the
 * vertex shader does) to the nearest and the farthest depth. A view that shows these eight
 * points shows the whole mesh.
 */
export function sceneCorners(geometry: DepthGeometry, near: number, far: number): THREE.Vector3[] {
  const corners: THREE.Vector3[] = [];
  for (const z of [near, far]) {
    for (const [u, v] of [[0, 0], [1, 0], [0, 1], [1, 1]] as const) {
      corners.push(new THREE.Vector3(
        ((u - geometry.cx_norm) / geometry.fx_norm) * z,
        (-(v - geometry.cy_norm) / geometry.fy_norm) * z,
        -z,
      ));
    }
  }
  return corners;
}

/** What the viewer's stereo does now (window.__depthcast.stereo). */
export interface StereoReport {
  /** Comfort's parameters on the screen (null: not a stereo mode). */
  screen: StereoParams | null;
  vr: VrPlacement | null;
}

export class SceneFraming {
  private userMovedCamera = false;
  private refitted = false;
  private inVr = false;
  private metric = false;
  /** The headset's placement, as last applied (null: not in VR). */
  vrPlacement: VrPlacement | null = null;

  constructor(
    private readonly view: ViewRenderer,
    private readonly mesh: DepthMesh,
  ) {
    view.setCentreDepth(mesh.centreDepth, true, mesh.nearDepth);
    view.controls.addEventListener("start", () => (this.userMovedCamera = true));
  }

  /** Show `frame` on the mesh (null: flat); the first depth refits the view. */
  showDepth(frame: DepthFrame | null): void {
    if (frame === null) {
      if (this.mesh.showFlat()) this.view.invalidate();
      return;
    }
    this.mesh.setDepth(frame);
    this.metric = frame.metric;
    this.view.setDepthSpan(depthSpanOf(frame, this.mesh.relief));
    if (this.refitted) return;
    // the placeholder depth guessed the scene's size; the first real frame knows it
    this.refitted = true;
    this.refit(!this.userMovedCamera);
    if (this.inVr) this.placeForVr();
  }

  get stereoReport(): StereoReport {
    return { screen: this.view.stereoParams, vr: this.vrPlacement };
  }

  /** Other intrinsics (a live source changed size): the next depth refits the view. */
  setGeometry(geometry: DepthGeometry): void {
    this.mesh.setGeometry(geometry);
    this.view.setGeometry(geometry);
    this.refitted = false;
    this.refit(!this.userMovedCamera);
  }

  setRelief(relief: number): void {
    this.mesh.setRelief(relief);
    const frame = this.mesh.currentFrame;
    if (frame !== null) this.view.setDepthSpan(depthSpanOf(frame, relief));
    this.refit(false);
  }

  /** Change the stereo settings (comfort, layout, VR scale); in the headset the scene is placed anew. */
  setStereo(change: Partial<StereoSettings>): void {
    Object.assign(this.view.stereo.settings, change);
    this.view.resize(); // an eye's aspect may have changed
    if (this.inVr) this.placeForVr();
  }

  /** Back to the default view (the `r` key), also in the headset. */
  resetView(): void {
    this.userMovedCamera = false;
    this.refit(true);
    if (this.inVr) this.placeForVr();
  }

  /** Show `mode` on the screen; coming back from the headset, put the scene back first. */
  showScreen(mode: ScreenMode): void {
    if (this.inVr) {
      this.inVr = false;
      this.vrPlacement = null;
      this.view.content.position.set(0, 0, 0);
      this.view.content.scale.setScalar(1);
      this.view.resize();
    }
    this.view.setMode(mode);
    this.refit(!this.userMovedCamera);
  }

  /** An immersive session started: the pinhole at eye height, the scene ~2 m away. */
  showVr(): void {
    this.inVr = true;
    this.placeForVr();
  }

  private refit(resetCamera: boolean): void {
    const [near, far] = this.mesh.depthRange;
    this.view.setSceneBox(sceneCorners(this.mesh.geometry, near, far));
    this.view.setCentreDepth(this.mesh.centreDepth, resetCamera, this.mesh.nearDepth);
  }

  private placeForVr(): void {
    const frame = this.mesh.currentFrame;
    const span = frame === null ? { near: this.mesh.centreDepth, far: this.mesh.centreDepth } : depthSpanOf(frame, this.mesh.relief);
    const { placement, position, scale } = vrPlacementFor(this.view.stereo.settings, this.metric, span);
    this.view.content.position.copy(position);
    this.view.content.scale.copy(scale);
    this.vrPlacement = placement;
  }
}

/**
 * Where the content goes in the headset (floor space, metres): life-size only for metric depth
 * with `vrScale` "life"; otherwise (every relative model) a screen whose zero-parallax depth
 * within `span` is VR_DISTANCE_M away, its depth scaled by `strength` about that plane.
 */
export function vrPlacementFor(
  settings: Readonly<StereoSettings>,
  metric: boolean,
  span: DepthSpan,
): { placement: VrPlacement; position: THREE.Vector3; scale: THREE.Vector3 } {
  const eyeHeight = settings.eyeHeight;
  if (settings.vrScale === "life" && metric) {
    return {
      placement: { scale: "life", metric: true, metresPerUnit: 1, eyeHeight },
      position: new THREE.Vector3(0, eyeHeight, 0),
      scale: new THREE.Vector3(1, 1, 1),
    };
  }
  const focus = Math.max(zeroParallaxDepth(span, settings.convergence), 1e-3);
  const metres = VR_DISTANCE_M / focus;
  const strength = Math.max(settings.strength, 0.05);
  // depth scaled by `strength` about the zero-parallax plane, which stays VR_DISTANCE_M away
  return {
    placement: { scale: "screen", metric, metresPerUnit: metres, eyeHeight },
    position: new THREE.Vector3(0, eyeHeight, -VR_DISTANCE_M * (1 - strength)),
    scale: new THREE.Vector3(metres, metres, metres * strength),
  };
}
