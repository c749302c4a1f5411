/**
 * Where the scene sits: the default camera fitted to the depth (once, when the first depth
 * arrives, unless the user has moved the camera) so that the whole mesh is in view, the reset
 * view, and the placement in front of the headset while an immersive session runs.
 */
import * as THREE from "three";
import type { DepthFrame } from "../depth/depthFrame";
import type { DepthGeometry } from "../net/protocol";
import type { DepthMesh } from "./depthMesh";
import type { ScreenMode, ViewRenderer } from "./viewRenderer";

/** In VR the scene's typical depth is placed this far in front of the viewer. */
export const VR_DISTANCE_M = 2;
export const VR_EYE_HEIGHT_M = 1.6;

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

export class SceneFraming {
  private userMovedCamera = false;
  private refitted = false;
  private inVr = false;

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
    this.view.invalidate();
    if (this.refitted) return;
    // the placeholder depth guessed the scene's size; the first real frame knows it
    this.refitted = true;
    this.refit(!this.userMovedCamera);
    if (this.inVr) this.placeForVr();
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
    this.refit(false);
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
    const scale = VR_DISTANCE_M / Math.max(this.mesh.centreDepth, 1e-3);
    this.view.content.position.set(0, VR_EYE_HEIGHT_M, 0);
    this.view.content.scale.setScalar(scale);
  }
}
