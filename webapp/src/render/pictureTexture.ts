/**
 * A live session's picture (a decoded JPEG, an ImageBitmap) as the mesh's colour texture.
 *
 * Uploaded as plain RGBA8 bytes (NoColorSpace) and decoded from sRGB in the fragment shader,
 * as the <video>'s texture is. An ImageBitmap ignores UNPACK_FLIP_Y, so its rows arrive top
 * first: the mesh samples it through a window that flips v (PICTURE_WINDOW). Texture storage
 * is immutable, so a picture of another size gets a new texture.
 */
import * as THREE from "three";
import type { VideoWindow } from "./videoWindow";

/** Texture coordinates of an unflipped picture: v' = 1 - v. */
export const PICTURE_WINDOW: Readonly<VideoWindow> = Object.freeze({ scaleU: 1, scaleV: -1, offsetU: 0, offsetV: 1 });

function createPictureTexture(image: ImageBitmap): THREE.Texture {
  const texture = new THREE.Texture(image);
  texture.colorSpace = THREE.NoColorSpace;
  texture.flipY = false;
  texture.minFilter = THREE.LinearFilter;
  texture.magFilter = THREE.LinearFilter;
  texture.generateMipmaps = false;
  texture.needsUpdate = true;
  return texture;
}

export class PictureSlot {
  texture: THREE.Texture | null = null;
  private image: ImageBitmap | null = null;

  /** Show `image` from the next render on; the picture it replaces is closed. True: a new texture object. */
  update(image: ImageBitmap): boolean {
    const previous = this.image;
    this.image = image;
    let replaced = false;
    if (this.texture === null || previous === null || previous.width !== image.width || previous.height !== image.height) {
      this.texture?.dispose();
      this.texture = createPictureTexture(image);
      replaced = true;
    } else {
      this.texture.image = image;
      this.texture.needsUpdate = true;
    }
    if (previous !== null && previous !== image) previous.close();
    return replaced;
  }

  dispose(): void {
    this.texture?.dispose();
    this.texture = null;
    this.image?.close();
    this.image = null;
  }
}
