/**
 * The camera path: a line through the centres of the frames' cameras, one vertex per frame
 * whose pose is known, and a wireframe pyramid for the newest camera (where it looked).
 */
import * as THREE from "three";
import type { SceneCamera } from "../net/sceneCameras";
import { poseToThree } from "./opencv";

const PATH_COLOUR = 0xffc14d;
const FRUSTUM_COLOUR = 0x5aa9ff;

export class CameraPath {
  readonly group = new THREE.Group();
  private readonly line: THREE.Line<THREE.BufferGeometry, THREE.LineBasicMaterial>;
  private readonly frustum: THREE.LineSegments<THREE.BufferGeometry, THREE.LineBasicMaterial>;
  private vertices = 0;

  constructor() {
    this.line = new THREE.Line(new THREE.BufferGeometry(), new THREE.LineBasicMaterial({ color: PATH_COLOUR }));
    this.line.name = "scene-camera-path";
    this.line.frustumCulled = false;
    this.frustum = new THREE.LineSegments(new THREE.BufferGeometry(), new THREE.LineBasicMaterial({ color: FRUSTUM_COLOUR }));
    this.frustum.frustumCulled = false;
    this.frustum.visible = false;
    this.group.add(this.line, this.frustum);
  }

  /** Vertices of the path: the frames whose pose is known. */
  get vertexCount(): number {
    return this.vertices;
  }

  /** Show these cameras (sorted by frame); `size` is the pyramid's depth in scene units. */
  setCameras(cameras: readonly SceneCamera[], size: number): void {
    const centres = new Float32Array(cameras.length * 3);
    cameras.forEach((camera, i) => {
      const pose = poseToThree(camera.cameraToWorld);
      centres.set([pose.elements[12], pose.elements[13], pose.elements[14]], i * 3);
    });
    this.line.geometry.dispose();
    this.line.geometry = new THREE.BufferGeometry();
    this.line.geometry.setAttribute("position", new THREE.BufferAttribute(centres, 3));
    this.vertices = cameras.length;
    const newest = cameras[cameras.length - 1];
    this.frustum.visible = newest !== undefined;
    if (newest !== undefined) this.showFrustum(newest, size);
  }

  dispose(): void {
    this.line.geometry.dispose();
    this.line.material.dispose();
    this.frustum.geometry.dispose();
    this.frustum.material.dispose();
  }

  private showFrustum(camera: SceneCamera, size: number): void {
    // the picture's corners at depth `size`, in the camera's OpenCV frame, then to three.js
    const corners = [[0, 0], [camera.width, 0], [camera.width, camera.height], [0, camera.height]].map(
      ([u, v]) => new THREE.Vector3((((u as number) - camera.cx) / camera.fx) * size, (-((v as number) - camera.cy) / camera.fy) * size, -size),
    );
    const apex = new THREE.Vector3();
    const segments: THREE.Vector3[] = [];
    corners.forEach((corner, i) => segments.push(apex, corner, corner, corners[(i + 1) % 4] as THREE.Vector3));
    this.frustum.geometry.dispose();
    this.frustum.geometry = new THREE.BufferGeometry().setFromPoints(segments);
    this.frustum.matrixAutoUpdate = false;
    this.frustum.matrix.copy(poseToThree(camera.cameraToWorld));
    this.frustum.matrixWorldNeedsUpdate = true;
  }
}
