/**
 * A browser source's sending side: the captured camera or screen (a MediaStream) is only the
 * capture input. Each frame is drawn into a canvas at the capped size, encoded as JPEG and
 * sent as a binary video frame on the session's socket, while at most two are unanswered, or
 * one when the server's passes are long against the round trip (CaptureCredit, CreditLimit);
 * the next is captured when an answer comes or the camera has a new frame.
 */
import { packVideoFrame } from "../net/videoFrame";
import { CaptureCredit } from "./captureCredit";
import { fitWithin, MIN_SIDE, type Size } from "./captureSize";
import type { LiveCounters } from "./liveCounters";
import { epochNowMs } from "./liveClock";
import type { LiveSender } from "./liveStream";

/** JPEG quality: ~0.8 keeps a 1280×720 camera frame near 100 kB and its encode near 10 ms. */
export const JPEG_QUALITY = 0.8;

export interface CaptureOptions {
  /** Pictures are scaled down to fit this box (the size the session was opened with). */
  box: Size;
  /** The source's frame rate: how often a new frame is looked for. */
  fps: number;
}

/** Where frames go: the session's socket (LiveStream.sendFrame). */
export interface FrameLink {
  send(buffer: ArrayBuffer): boolean;
}

type Canvas = OffscreenCanvas | HTMLCanvasElement;

function makeCanvas(): Canvas {
  return typeof OffscreenCanvas === "function" ? new OffscreenCanvas(1, 1) : document.createElement("canvas");
}

async function encodeJpeg(canvas: Canvas): Promise<Blob> {
  if (canvas instanceof HTMLCanvasElement) {
    return new Promise<Blob>((resolve, reject) =>
      canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("canvas.toBlob gave nothing"))), "image/jpeg", JPEG_QUALITY),
    );
  }
  return canvas.convertToBlob({ type: "image/jpeg", quality: JPEG_QUALITY });
}

export class CaptureSender implements LiveSender {
  /** The capture input: plays the MediaStream; shown small as this device's own preview. */
  readonly video: HTMLVideoElement;
  readonly credit = new CaptureCredit();
  private readonly canvas = makeCanvas();
  private timer: ReturnType<typeof setInterval> | null = null;
  private busy = false;
  private fresh = false;
  private firstCaptureUs: number | null = null;
  private stopped = false;

  constructor(
    readonly media: MediaStream,
    private readonly options: CaptureOptions,
    private readonly link: FrameLink,
    private readonly counters: LiveCounters,
    private readonly onError: (message: string) => void,
  ) {
    this.video = document.createElement("video");
    this.video.id = "capture-preview";
    this.video.className = "preview capture";
    this.video.muted = true;
    this.video.playsInline = true;
    this.video.srcObject = media;
  }

  /** Start playing the capture input and looking for frames at the source's rate. */
  start(): void {
    void this.video.play().catch((e: unknown) => this.onError(`The capture did not start: ${String(e)}`));
    const periodMs = 1000 / Math.min(Math.max(this.options.fps, 1), 60);
    this.timer = setInterval(() => {
      this.fresh = true;
      this.pump();
    }, periodMs);
  }

  /** Called when a track ends on its own (the user stopped sharing, the camera was unplugged). */
  onTrackEnded(fn: () => void): void {
    for (const track of this.media.getTracks()) track.addEventListener("ended", fn, { once: true });
  }

  answer(index: number): void {
    if (this.credit.answer(index)) this.sync();
    this.pump();
  }

  echo(index: number): void {
    if (this.credit.echo(index, performance.now())) this.sync();
    this.pump();
  }

  notePass(inferenceMs: number): void {
    this.credit.limits.notePass(inferenceMs);
    this.sync();
    this.pump();
  }

  connected(): void {
    this.credit.reset();
    this.sync();
    this.pump();
  }

  /** Stop capturing: the camera's light goes off, a shared screen stops being shared. */
  dispose(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    for (const track of this.media.getTracks()) track.stop();
    this.video.pause();
    this.video.srcObject = null;
    this.video.remove();
  }

  /** Capture and send the newest frame, if one is new, none is being encoded, and credit allows. */
  private pump(): void {
    if (this.stopped || this.busy || !this.fresh) return;
    const width = this.video.videoWidth;
    const height = this.video.videoHeight;
    if (width === 0 || height === 0 || !this.credit.canSend(performance.now())) return;
    this.busy = true;
    this.fresh = false;
    void this.capture({ width, height }).finally(() => {
      this.busy = false;
      this.pump();
    });
  }

  private async capture(source: Size): Promise<void> {
    const fitted = fitWithin(source, this.options.box);
    // the server takes 16..4096 a side (a tiny window is stretched a little)
    const size = { width: Math.max(MIN_SIDE, fitted.width), height: Math.max(MIN_SIDE, fitted.height) };
    if (this.canvas.width !== size.width || this.canvas.height !== size.height) {
      this.canvas.width = size.width;
      this.canvas.height = size.height;
    }
    const context = this.canvas.getContext("2d") as CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null;
    if (context === null) {
      this.onError("This browser gives no 2D canvas to capture frames with.");
      return;
    }
    context.drawImage(this.video, 0, 0, size.width, size.height);
    const captureUs = Math.round(epochNowMs() * 1000);
    this.firstCaptureUs ??= captureUs;
    const index = this.credit.take(performance.now());
    try {
      const jpeg = new Uint8Array(await (await encodeJpeg(this.canvas)).arrayBuffer());
      const frame = packVideoFrame(
        { frame_index: index, pts_us: captureUs - this.firstCaptureUs, capture_us: captureUs, width: size.width, height: size.height },
        jpeg,
      );
      if (this.stopped || !this.link.send(frame)) this.credit.cancel(index);
    } catch (error) {
      this.credit.cancel(index);
      this.onError(`A frame could not be encoded: ${String(error)}`);
    }
    this.sync();
  }

  private sync(): void {
    const c = this.counters;
    c.framesSent = this.credit.sent;
    c.framesAnswered = this.credit.answered;
    c.unanswered = this.credit.unanswered;
    c.peakUnanswered = this.credit.peakUnanswered;
    c.creditLimit = this.credit.limit;
  }
}
