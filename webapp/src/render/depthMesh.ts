/**
 * The video as a displaced grid: a PlaneGeometry whose vertices the vertex shader moves to
 * their unprojected depth, coloured by the video (THREE.VideoTexture) or, in a live session,
 * by each picture the server sent (setPicture).
 */
import * as THREE from "three";
import type { DepthFrame } from "../depth/depthFrame";
import { medianDepth } from "../depth/depthFrame";
import type { DepthGeometry } from "../net/protocol";
import { DepthTextureSlot } from "./depthTexture";
import { PICTURE_WINDOW, PictureSlot } from "./pictureTexture";
import { DEPTH_FRAGMENT_SHADER, DEPTH_VERTEX_SHADER } from "./shaders";
import type { VideoWindow } from "./videoWindow";

export const DEFAULT_RELIEF = 1.0;
export const DEFAULT_EDGE_THRESHOLD = 0.12;

/** Grid segments for `density` along the longer side of an image of this aspect (w / h). */
export function gridSegments(density: number, aspect: number): { x: number; y: number } {
  const n = Math.max(1, Math.round(density));
  if (aspect >= 1) return { x: n, y: Math.max(1, Math.round(n / aspect)) };
  return { x: Math.max(1, Math.round(n * aspect)), y: n };
}

/**
 * The depth's intrinsics with the video's display aspect (`width` / `height`, after rotation).
 * The depth map's sides are rounded to multiples of 14, so its own aspect is off by up to ~7 %
 * (16:10 at process_res 126: 126×84, 1.5 for 1.6); the map is the whole picture stretched, so
 * the horizontal field of view is kept and the vertical one follows from the video's aspect.
 */
export function videoShapedGeometry(depth: DepthGeometry, width: number, height: number): DepthGeometry {
  if (!(width > 0 && height > 0)) return depth;
  return { ...depth, fy_norm: depth.fx_norm * (width / height) };
}

/** The aspect (width / height) of the picture the intrinsics unproject. */
export function imageAspect(geometry: DepthGeometry): number {
  return geometry.fy_norm / Math.max(geometry.fx_norm, 1e-12);
}

interface DepthUniforms {
  [name: string]: THREE.IUniform;
  uDepth: THREE.IUniform<THREE.DataTexture>;
  uDepthSize: THREE.IUniform<THREE.Vector2>;
  uScale: THREE.IUniform<number>;
  uBias: THREE.IUniform<number>;
  uMetric: THREE.IUniform<number>;
  uRelief: THREE.IUniform<number>;
  uHasDepth: THREE.IUniform<number>;
  uFlatDepth: THREE.IUniform<number>;
  uIntrinsics: THREE.IUniform<THREE.Vector4>;
  uGridStep: THREE.IUniform<THREE.Vector2>;
  uVideo: THREE.IUniform<THREE.Texture | null>;
  uHasVideo: THREE.IUniform<number>;
  uEdgeThreshold: THREE.IUniform<number>;
  uVideoWindow: THREE.IUniform<THREE.Vector4>;
}

export class DepthMesh {
  readonly mesh: THREE.Mesh<THREE.PlaneGeometry, THREE.ShaderMaterial>;
  readonly videoTexture: THREE.VideoTexture | null;
  private intrinsics: DepthGeometry;
  private readonly slot = new DepthTextureSlot();
  private readonly picture = new PictureSlot();
  private readonly uniforms: DepthUniforms;
  private aspect: number;
  private density: number;
  private frame: DepthFrame | null = null;
  /** The first depth frame: the scene's typical depth comes from it. */
  private centreFrame: DepthFrame | null = null;
  private centre = 1.5;

  /** `geometry`: the intrinsics to unproject with (videoShapedGeometry: the video's aspect). */
  constructor(video: HTMLVideoElement | null, geometry: DepthGeometry, density: number) {
    this.intrinsics = geometry;
    this.aspect = imageAspect(geometry);
    this.density = density;
    this.videoTexture = video ? new THREE.VideoTexture(video) : null;
    if (this.videoTexture) {
      this.videoTexture.colorSpace = THREE.SRGBColorSpace;
      this.videoTexture.minFilter = THREE.LinearFilter;
      this.videoTexture.magFilter = THREE.LinearFilter;
      this.videoTexture.generateMipmaps = false;
    }
    this.uniforms = {
      uDepth: { value: this.slot.texture },
      uDepthSize: { value: new THREE.Vector2(1, 1) },
      uScale: { value: 1 },
      uBias: { value: 0 },
      uMetric: { value: 0 },
      uRelief: { value: DEFAULT_RELIEF },
      uHasDepth: { value: 0 },
      uFlatDepth: { value: 1.5 },
      uIntrinsics: {
        value: new THREE.Vector4(geometry.fx_norm, geometry.fy_norm, geometry.cx_norm, geometry.cy_norm),
      },
      uGridStep: { value: new THREE.Vector2(1, 1) },
      uVideo: { value: this.videoTexture },
      uHasVideo: { value: this.videoTexture ? 1 : 0 },
      uEdgeThreshold: { value: DEFAULT_EDGE_THRESHOLD },
      uVideoWindow: { value: new THREE.Vector4(1, 1, 0, 0) },
    };
    const material = new THREE.ShaderMaterial({
      glslVersion: THREE.GLSL3,
      vertexShader: DEPTH_VERTEX_SHADER,
      fragmentShader: DEPTH_FRAGMENT_SHADER,
      uniforms: this.uniforms,
      side: THREE.DoubleSide,
    });
    this.mesh = new THREE.Mesh(this.buildGeometry(density), material);
    this.mesh.name = "depth-mesh";
    this.mesh.frustumCulled = false; // positions come from the shader
  }

  /** The intrinsics the vertices are unprojected with. */
  get geometry(): DepthGeometry {
    return this.intrinsics;
  }

  /**
   * Unproject with other intrinsics from now on (a live source changed size): the grid is
   * rebuilt for the new aspect, and the next depth frame sets the scene's typical depth anew.
   */
  setGeometry(geometry: DepthGeometry): void {
    this.intrinsics = geometry;
    this.aspect = imageAspect(geometry);
    this.uniforms.uIntrinsics.value.set(geometry.fx_norm, geometry.fy_norm, geometry.cx_norm, geometry.cy_norm);
    this.centreFrame = null;
    this.setDensity(this.density);
  }

  /** Colour the mesh with `image` (a live session's picture; the one it replaces is closed). */
  setPicture(image: ImageBitmap): void {
    if (this.picture.update(image) || this.uniforms.uHasVideo.value === 0) {
      this.uniforms.uVideo.value = this.picture.texture;
      this.uniforms.uHasVideo.value = 1;
      this.setVideoWindow(PICTURE_WINDOW);
    }
  }

  get segments(): { x: number; y: number } {
    const p = this.mesh.geometry.parameters;
    return { x: p.widthSegments, y: p.heightSegments };
  }

  /** Rebuild the grid with `density` segments along the longer side. */
  setDensity(density: number): void {
    this.density = density;
    const old = this.mesh.geometry;
    this.mesh.geometry = this.buildGeometry(density);
    old.dispose();
  }

  get relief(): number {
    return this.uniforms.uRelief.value;
  }

  setRelief(relief: number): void {
    this.uniforms.uRelief.value = relief;
    this.updateCentre();
  }

  setEdgeThreshold(threshold: number): void {
    this.uniforms.uEdgeThreshold.value = threshold;
  }

  /** Sample only this part of the video texture (a playable copy's padding left out). */
  setVideoWindow(w: VideoWindow): void {
    this.uniforms.uVideoWindow.value.set(w.scaleU, w.scaleV, w.offsetU, w.offsetV);
  }

  /** Show `frame` (null: keep what is shown). */
  setDepth(frame: DepthFrame | null): void {
    if (frame === null || frame === this.frame) return;
    const firstFrame = this.centreFrame === null;
    if (firstFrame) this.centreFrame = frame;
    this.frame = frame;
    if (this.slot.update(frame)) this.uniforms.uDepth.value = this.slot.texture;
    const u = this.uniforms;
    u.uDepthSize.value.set(frame.width, frame.height);
    u.uScale.value = frame.scale;
    u.uBias.value = frame.bias;
    u.uMetric.value = frame.metric ? 1 : 0;
    u.uHasDepth.value = 1;
    if (firstFrame) this.updateCentre();
  }

  /** Show the picture flat, at the scene's typical depth (no depth near the frame on screen). */
  showFlat(): boolean {
    if (this.frame === null) return false;
    this.frame = null;
    this.uniforms.uHasDepth.value = 0;
    return true;
  }

  /** The depth shown (null: flat). */
  get currentFrame(): DepthFrame | null {
    return this.frame;
  }

  /** The nearest depth in scene units (relative: 1; metric: the first frame's minimum). */
  get nearDepth(): number {
    const frame = this.frame ?? this.centreFrame;
    if (frame === null || !frame.metric) return Math.min(1, this.centre);
    return Math.min(Math.max(frame.bias, 0.05 * this.centre), this.centre);
  }

  /**
   * The depths the mesh spans in scene units, [nearest, farthest], from the first frame
   * (relative: its samples within 1 .. 1 + relief; metric: its range, the far end capped at
   * a few times the typical depth so a distant sky does not shrink the view). Before any
   * depth: the flat plane's.
   */
  get depthRange(): [number, number] {
    const frame = this.centreFrame;
    if (frame === null) return [this.centre, this.centre];
    let lo = 65535;
    let hi = 0;
    for (const s of frame.samples) {
      if (s < lo) lo = s;
      if (s > hi) hi = s;
    }
    if (lo > hi) return [this.centre, this.centre];
    if (frame.metric) {
      const near = Math.max(lo * frame.scale + frame.bias, 1e-3);
      return [near, Math.max(near, Math.min(hi * frame.scale + frame.bias, 3 * this.centre))];
    }
    const relief = this.uniforms.uRelief.value;
    return [1 + (relief * lo) / 65535, 1 + (relief * hi) / 65535];
  }

  /** A representative depth in scene units (median of the first frame), for framing the view. */
  get centreDepth(): number {
    return this.centre;
  }

  dispose(): void {
    this.mesh.geometry.dispose();
    this.mesh.material.dispose();
    this.slot.dispose();
    this.picture.dispose();
    this.videoTexture?.dispose();
  }

  private updateCentre(): void {
    const frame = this.centreFrame;
    if (frame === null) {
      this.centre = 1 + this.uniforms.uRelief.value / 2;
    } else if (frame.metric) {
      this.centre = Math.max(medianDepth(frame), 0.05);
    } else {
      const t = (medianDepth(frame) - frame.bias) / Math.max(frame.scale * 65535, 1e-12);
      this.centre = 1 + this.uniforms.uRelief.value * Math.min(Math.max(t, 0), 1);
    }
    this.uniforms.uFlatDepth.value = this.centre;
  }

  private buildGeometry(density: number): THREE.PlaneGeometry {
    const seg = gridSegments(density, this.aspect);
    if (this.uniforms) this.uniforms.uGridStep.value.set(1 / seg.x, 1 / seg.y);
    return new THREE.PlaneGeometry(1, 1, seg.x, seg.y);
  }
}
