/**
 * This page's own captures: a camera (getUserMedia) or a screen (getDisplayMedia) opened on the
 * upload page, held here until the live player of its session takes it. A page that opens a
 * live session it did not capture (`?session=ID` on a headset) only watches.
 */
import { CAMERA_SIZE, declaredSize, fitWithin, SCREEN_BOX, type Size } from "../stream/captureSize";

export type CaptureKind = "camera" | "screen";

export interface BrowserCapture {
  kind: CaptureKind;
  media: MediaStream;
  /** The size pictures are scaled down to fit (camera: the size declared; screen: 1280 wide). */
  box: Size;
  /** The size and rate declared when the session is opened (POST /api/sessions). */
  declared: Size;
  fps: number;
}

const DEFAULT_FPS = 30;
const held = new Map<string, BrowserCapture>();

/** Ask for the camera or the screen; rejects with the browser's reason (denied, none there). */
export async function openCapture(kind: CaptureKind): Promise<BrowserCapture> {
  const devices = navigator.mediaDevices;
  if (devices === undefined) {
    throw new Error("This browser gives no camera or screen here (it needs https, or localhost).");
  }
  const media =
    kind === "camera"
      ? await devices.getUserMedia({ audio: false, video: { width: { ideal: CAMERA_SIZE.width }, height: { ideal: CAMERA_SIZE.height } } })
      : await devices.getDisplayMedia({ audio: false, video: true });
  const track = media.getVideoTracks()[0];
  if (track === undefined) {
    for (const t of media.getTracks()) t.stop();
    throw new Error(`The ${kind} gave no video.`);
  }
  const settings = track.getSettings();
  const source = { width: settings.width ?? CAMERA_SIZE.width, height: settings.height ?? CAMERA_SIZE.height };
  const declared = declaredSize(fitWithin(source, kind === "camera" ? CAMERA_SIZE : SCREEN_BOX));
  const box = kind === "camera" ? declared : SCREEN_BOX;
  const fps = settings.frameRate !== undefined && settings.frameRate > 0 ? Math.min(settings.frameRate, 60) : DEFAULT_FPS;
  return { kind, media, box, declared, fps };
}

/** Keep `capture` for session `sessionId` until its player takes it. */
export function holdCapture(sessionId: string, capture: BrowserCapture): void {
  held.get(sessionId)?.media.getTracks().forEach((t) => t.stop());
  held.set(sessionId, capture);
}

/** The capture this page opened for `sessionId` (now the caller's to stop), or null. */
export function takeCapture(sessionId: string): BrowserCapture | null {
  const capture = held.get(sessionId) ?? null;
  held.delete(sessionId);
  return capture;
}

/** Stop a capture that found no session (the server refused to open one). */
export function stopCapture(capture: BrowserCapture): void {
  for (const track of capture.media.getTracks()) track.stop();
}
