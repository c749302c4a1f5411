/** The size a browser source's pictures are captured at (docs/PROTOCOL.md, "A browser source"). */

export interface Size {
  width: number;
  height: number;
}

/** A camera is asked for this, and its pictures are capped at what the session was opened with. */
export const CAMERA_SIZE: Readonly<Size> = Object.freeze({ width: 1280, height: 720 });
/** A shared screen or window is scaled to at most 1280 wide (the server's limit is 4096 a side). */
export const SCREEN_BOX: Readonly<Size> = Object.freeze({ width: 1280, height: 4096 });
/** What the server accepts for a browser source's declared sides (LiveBrowserRequest). */
export const MIN_SIDE = 16;
export const MAX_SIDE = 4096;

/** `source` scaled down (never up) to fit within `box`, keeping its aspect; whole pixels. */
export function fitWithin(source: Size, box: Size): Size {
  if (!(source.width > 0 && source.height > 0)) return { width: box.width, height: box.height };
  const scale = Math.min(1, box.width / source.width, box.height / source.height);
  return {
    width: Math.max(1, Math.round(source.width * scale)),
    height: Math.max(1, Math.round(source.height * scale)),
  };
}

/** A size the server accepts as a browser source's declared size (each side in MIN_SIDE..MAX_SIDE). */
export function declaredSize(size: Size): Size {
  const clamp = (v: number): number => Math.min(MAX_SIDE, Math.max(MIN_SIDE, Math.round(v)));
  return { width: clamp(size.width), height: clamp(size.height) };
}
