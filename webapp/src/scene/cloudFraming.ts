/**
 * Where the scene sits. The view starts at the first camera, looking where it looked (an
 * `anchor` group undoes the first camera's pose, so any world frame the server chose works),
 * and refits the default view to the cloud as it grows, until the user moves the camera.
 * In a headset the first camera is at eye height (the stereo settings' `eyeHeight`, 1.6 m by
 * default) above the floor's origin: metric scenes at their true size (1 m = 1 m), relative
 * ones scaled so the cloud is a room's size.
 */
import * as THREE from "three";
import type { SceneCamera } from "../net/sceneCameras";
import type { DepthGeometry } from "../net/protocol";
import type { ScreenMode, ViewRenderer } from "../render/viewRenderer";
import type { CameraPath } from "./cameraPath";
import { boxCorners, cloudExtent, headsetScale, pointSize, type CloudExtent } from "./extent";
import { poseToThree } from "./opencv";
import type { ScenePointCloud } from "./pointCloud";

/** The view's field of view before the cameras are known: 60° across a 16:9 picture. */
export const DEFAULT_GEOMETRY: DepthGeometry = { width: 16, height: 9, fx_norm: 0.866, fy_norm: 1.54, cx_norm: 0.5, cy_norm: 0.5, fov_deg: 60 };

/** The view's geometry from a camera's pinhole (pixels to shares of the picture). */
export function cameraGeometry(camera: SceneCamera): DepthGeometry {
  const fovDeg = THREE.MathUtils.radToDeg(2 * Math.atan(camera.width / 2 / camera.fx));
  return {
    width: camera.width,
    height: camera.height,
    fx_norm: camera.fx / camera.width,
    fy_norm: camera.fy / camera.height,
    cx_norm: camera.cx / camera.width,
    cy_norm: camera.cy / camera.height,
    fov_deg: fovDeg,
  };
}

export class CloudFraming {
  /** The cloud and the path, in the first camera's frame. */
  readonly anchor = new THREE.Group();
  private extentNow: CloudExtent | null = null;
  private metric = false;
  private userMovedCamera = false;
  private inVr = false;
  private pointFactor = 1;
  private voxel: number | null = null;
  private anchoredTo: string | null = null;

  constructor(
    private readonly view: ViewRenderer,
    private readonly cloud: ScenePointCloud,
    private readonly path: CameraPath,
  ) {
    this.anchor.matrixAutoUpdate = false;
    this.anchor.add(cloud.points, path.group);
    view.content.add(this.anchor);
    view.controls.addEventListener("start", () => (this.userMovedCamera = true));
    // a point's size is not scaled by its object's scale: follow the content's (VR, grip)
    view.onBeforeRender(() => cloud.setPointSize(pointSize(this.extentNow, this.voxel, this.pointFactor) * view.content.scale.x));
  }

  get extent(): CloudExtent | null {
    return this.extentNow;
  }

  /** The scale a headset shows the scene at (1 for metric depth). */
  get vrScale(): number {
    return headsetScale(this.metric, this.extentNow);
  }

  /** What the job says of its scene: metric or relative, and the voxel size it fused at. */
  setJob(metric: boolean, voxel: number | null): void {
    this.metric = metric;
    this.voxel = voxel;
    if (this.inVr) this.placeForVr();
    this.view.invalidate();
  }

  /** Points drawn this many times their default size. */
  setPointFactor(factor: number): void {
    this.pointFactor = factor;
    this.view.invalidate();
  }

  /** The cameras changed: anchor on the first, show the path, fit the view to its pinhole. */
  setCameras(cameras: readonly SceneCamera[]): void {
    const first = cameras[0];
    if (first !== undefined) {
      const key = first.cameraToWorld.join(",");
      if (key !== this.anchoredTo) {
        this.anchoredTo = key;
        this.anchor.matrix.copy(poseToThree(first.cameraToWorld).invert());
        this.anchor.matrixWorldNeedsUpdate = true;
        this.view.setGeometry(cameraGeometry(first));
      }
    }
    this.path.setCameras(cameras, (this.extentNow?.size ?? 1) * 0.04);
    this.refresh();
  }

  /** The cloud grew or moved: measure it again and refit the default view (unless moved). */
  refresh(): void {
    const sample = this.cloud.sample;
    const points = new Float32Array(sample.values.subarray(0, sample.size * 3));
    const v = new THREE.Vector3();
    for (let i = 0; i < sample.size; i++) {
      v.fromArray(points, i * 3).applyMatrix4(this.anchor.matrix).toArray(points, i * 3);
    }
    this.extentNow = cloudExtent(points, sample.size);
    // stereo comfort bounds the disparity of this span (without it, of near .. the median only)
    const extent = this.extentNow;
    if (extent !== null) this.view.setDepthSpan({ near: extent.nearDepth, far: extent.farDepth });
    this.refit(!this.userMovedCamera);
    if (this.inVr) this.placeForVr();
    this.view.invalidate();
  }

  resetView(): void {
    this.userMovedCamera = false;
    this.refit(true);
    if (this.inVr) this.placeForVr();
  }

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

  showVr(): void {
    this.inVr = true;
    this.placeForVr();
  }

  private refit(resetCamera: boolean): void {
    const extent = this.extentNow;
    if (extent === null) return;
    this.view.setSceneBox(boxCorners(extent).map(([x, y, z]) => new THREE.Vector3(x, y, z)));
    this.view.setCentreDepth(extent.centreDepth, resetCamera, extent.nearDepth);
  }

  private placeForVr(): void {
    this.view.content.position.set(0, this.view.stereo.settings.eyeHeight, 0);
    this.view.content.scale.setScalar(this.vrScale);
    this.view.invalidate();
  }
}
