/**
 * Stereo on a screen with THREE.StereoCamera, in every common layout:
 *
 * - "sbs": the left half of the canvas shows the left eye, the right half the right eye;
 *   "cross": the same with the halves swapped, for cross-eyed free viewing. `width` "full" keeps
 *   each eye's natural aspect in its half; "half" squeezes each eye horizontally (3D TVs and
 *   players stretch each half back).
 * - "tb": the left eye in the top half, the right eye in the bottom half, each with its natural
 *   aspect; "half-tb": each eye squeezed vertically into its half.
 * - "anaglyph" (Dubois colours) and "anaglyph-plain": both eyes in one picture for red-cyan
 *   glasses (render/anaglyph.ts).
 *
 * `swapEyes` swaps the eyes in every layout. The eye separation and zero-parallax plane come from
 * the comfort controller (render/comfort.ts).
 */
import * as THREE from "three";
import { AnaglyphComposer } from "./anaglyph";
import { DEFAULT_COMFORT, type ComfortSettings } from "./comfort";

export const STEREO_MODES = ["sbs", "cross", "tb", "half-tb", "anaglyph", "anaglyph-plain"] as const;
export type StereoMode = (typeof STEREO_MODES)[number];
export type SbsWidth = "full" | "half";
/** In the headset, for a metric model: true scale ("life") or a screen in a room. */
export type VrScale = "life" | "screen";

export interface StereoSettings extends ComfortSettings {
  swapEyes: boolean;
  width: SbsWidth;
  vrScale: VrScale;
  /** Life-size: height of the recorded camera above the floor, in metres. */
  eyeHeight: number;
}

export const DEFAULT_STEREO: Readonly<StereoSettings> = Object.freeze({
  ...DEFAULT_COMFORT,
  swapEyes: false,
  width: "full",
  vrScale: "life",
  eyeHeight: 1.6,
});

export function isStereoMode(mode: string): mode is StereoMode {
  return (STEREO_MODES as readonly string[]).includes(mode);
}

/** Each eye's aspect as a multiple of the canvas's (StereoCamera.aspect). */
export function eyeAspectFactor(mode: StereoMode, width: SbsWidth): number {
  if (mode === "sbs" || mode === "cross") return width === "full" ? 0.5 : 1;
  if (mode === "tb") return 2;
  return 1;
}

/** [x, y, width, height] of each eye in a w×h drawing buffer (y up, as WebGL counts). */
export function eyeViewports(mode: StereoMode, w: number, h: number): { left: number[]; right: number[] } {
  const half = Math.floor(w / 2);
  const halfH = Math.floor(h / 2);
  switch (mode) {
    case "sbs":
      return { left: [0, 0, half, h], right: [half, 0, w - half, h] };
    case "cross":
      return { left: [half, 0, w - half, h], right: [0, 0, half, h] };
    case "tb":
    case "half-tb":
      return { left: [0, halfH, w, h - halfH], right: [0, 0, w, halfH] };
    default:
      return { left: [0, 0, w, h], right: [0, 0, w, h] };
  }
}

export class StereoRenderer {
  readonly stereo = new THREE.StereoCamera();
  readonly settings: StereoSettings = { ...DEFAULT_STEREO };
  private readonly anaglyph = new AnaglyphComposer();
  private readonly size = new THREE.Vector2();

  render(renderer: THREE.WebGLRenderer, scene: THREE.Scene, camera: THREE.PerspectiveCamera, mode: StereoMode, focus: number, eyeSep: number): void {
    // StereoCamera reads camera.matrixWorld: without this both eyes come out black
    camera.updateMatrixWorld();
    camera.focus = Math.max(focus, camera.near * 2);
    this.stereo.eyeSep = eyeSep;
    this.stereo.aspect = eyeAspectFactor(mode, this.settings.width);
    this.stereo.update(camera);
    const [left, right] = this.settings.swapEyes ? [this.stereo.cameraR, this.stereo.cameraL] : [this.stereo.cameraL, this.stereo.cameraR];
    if (mode === "anaglyph" || mode === "anaglyph-plain") {
      this.anaglyph.render(renderer, scene, left, right, mode === "anaglyph" ? "dubois" : "plain");
      return;
    }
    renderer.getSize(this.size);
    const viewports = eyeViewports(mode, this.size.x, this.size.y);
    renderer.setScissorTest(true);
    for (const [eye, rect] of [[left, viewports.left], [right, viewports.right]] as const) {
      const [x, y, w, h] = rect as [number, number, number, number];
      renderer.setScissor(x, y, w, h);
      renderer.setViewport(x, y, w, h);
      renderer.render(scene, eye);
    }
    renderer.setScissorTest(false);
    renderer.setScissor(0, 0, this.size.x, this.size.y);
    renderer.setViewport(0, 0, this.size.x, this.size.y);
  }

  /** The mode is no anaglyph now: free what only those need. */
  releaseAnaglyph(): void {
    this.anaglyph.release();
  }

  dispose(): void {
    this.anaglyph.dispose();
  }
}
