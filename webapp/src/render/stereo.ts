/**
 * Side-by-side stereo with THREE.StereoCamera: the left half of the canvas shows the left eye,
 * the right half the right eye (or swapped). "full" keeps each eye's natural aspect in its
 * half; "half" squeezes each eye horizontally (for displays that stretch each half back).
 */
import * as THREE from "three";

export type SbsWidth = "full" | "half";

export interface StereoSettings {
  eyeSep: number;
  swapEyes: boolean;
  width: SbsWidth;
}

export const DEFAULT_STEREO: Readonly<StereoSettings> = Object.freeze({
  eyeSep: 0.064,
  swapEyes: false,
  width: "full",
});

export class SbsRenderer {
  readonly stereo = new THREE.StereoCamera();
  settings: StereoSettings = { ...DEFAULT_STEREO };
  private readonly size = new THREE.Vector2();

  render(renderer: THREE.WebGLRenderer, scene: THREE.Scene, camera: THREE.PerspectiveCamera, focus: number): void {
    // StereoCamera reads camera.matrixWorld: without this both halves come out black
    camera.updateMatrixWorld();
    camera.focus = Math.max(focus, camera.near * 2);
    this.stereo.eyeSep = this.settings.eyeSep;
    this.stereo.aspect = this.settings.width === "full" ? 0.5 : 1;
    this.stereo.update(camera);
    renderer.getSize(this.size);
    const half = Math.floor(this.size.x / 2);
    const [left, right] = this.settings.swapEyes
      ? [this.stereo.cameraR, this.stereo.cameraL]
      : [this.stereo.cameraL, this.stereo.cameraR];
    renderer.setScissorTest(true);
    renderer.setScissor(0, 0, half, this.size.y);
    renderer.setViewport(0, 0, half, this.size.y);
    renderer.render(scene, left);
    renderer.setScissor(half, 0, this.size.x - half, this.size.y);
    renderer.setViewport(half, 0, this.size.x - half, this.size.y);
    renderer.render(scene, right);
    renderer.setScissorTest(false);
    renderer.setScissor(0, 0, this.size.x, this.size.y);
    renderer.setViewport(0, 0, this.size.x, this.size.y);
  }
}
