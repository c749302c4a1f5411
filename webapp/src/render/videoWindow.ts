/**
 * Where the picture lies in the video texture. A playable copy of a video with an odd width
 * or height (H.264 4:2:0 needs even sides) repeats its last column or row once
 * (`playback.pad_right`, `pad_bottom`, in the coded frame); the mesh must sample only the
 * picture, or it would be stretched by that pixel. The browser shows the coded frame turned by
 * the video's rotation, so the padding moves with it.
 */

/** Texture coordinates of the picture: `uv' = offset + uv * scale` (uv from the bottom left). */
export interface VideoWindow {
  scaleU: number;
  scaleV: number;
  offsetU: number;
  offsetV: number;
}

export const WHOLE_TEXTURE: Readonly<VideoWindow> = Object.freeze({ scaleU: 1, scaleV: 1, offsetU: 0, offsetV: 0 });

export interface CodedPadding {
  /** The coded frame's size, padding included. */
  width: number;
  height: number;
  padRight: number;
  padBottom: number;
  /** Degrees clockwise the frame is turned for display (0, 90, 180, 270). */
  rotation: number;
}

export function videoWindow(p: CodedPadding): VideoWindow {
  if (p.width <= 0 || p.height <= 0 || (p.padRight <= 0 && p.padBottom <= 0)) return { ...WHOLE_TEXTURE };
  const turn = (((Math.round(p.rotation / 90) % 4) + 4) % 4) as 0 | 1 | 2 | 3;
  // Padding on each side of the displayed picture, and the displayed size.
  const [left, right, top, bottom] = [
    [0, p.padRight, 0, p.padBottom], // as coded
    [p.padBottom, 0, 0, p.padRight], // 90° clockwise: the right column goes to the bottom
    [p.padRight, 0, p.padBottom, 0], // 180°
    [0, p.padBottom, p.padRight, 0], // 270°
  ][turn];
  const [w, h] = turn % 2 === 0 ? [p.width, p.height] : [p.height, p.width];
  return { scaleU: (w - left - right) / w, scaleV: (h - top - bottom) / h, offsetU: left / w, offsetV: bottom / h };
}
