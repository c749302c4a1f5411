/** The depth map as an R16UI texture, uploaded as-is (no conversion on the CPU). */
import * as THREE from "three";
import type { DepthFrame } from "../depth/depthFrame";

export function createDepthTexture(width: number, height: number, data?: Uint16Array): THREE.DataTexture {
  const samples = data ?? new Uint16Array(width * height);
  const texture = new THREE.DataTexture(samples, width, height, THREE.RedIntegerFormat, THREE.UnsignedShortType);
  texture.internalFormat = "R16UI";
  texture.minFilter = THREE.NearestFilter;
  texture.magFilter = THREE.NearestFilter;
  texture.generateMipmaps = false;
  texture.flipY = false;
  texture.unpackAlignment = 2; // rows of an odd width are not 4-byte aligned
  texture.needsUpdate = true;
  return texture;
}

/**
 * Holds one DataTexture, replacing it when the map's size changes (texture storage is
 * immutable) and re-uploading in place otherwise.
 */
export class DepthTextureSlot {
  texture: THREE.DataTexture = createDepthTexture(1, 1);
  private width = 1;
  private height = 1;

  /** Upload `frame`; returns true when the texture object was replaced. */
  update(frame: DepthFrame): boolean {
    if (frame.width !== this.width || frame.height !== this.height) {
      this.texture.dispose();
      this.texture = createDepthTexture(frame.width, frame.height, frame.samples);
      this.width = frame.width;
      this.height = frame.height;
      return true;
    }
    this.texture.image.data = frame.samples;
    this.texture.needsUpdate = true;
    return false;
  }

  dispose(): void {
    this.texture.dispose();
  }
}
