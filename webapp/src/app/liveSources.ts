/**
 * The upload page's live sources: "Webcam", "Screen" and a stream URL (RTSP, HTTP, HLS). Each
 * opens a live session (POST /api/sessions with a JSON body) and hands it to the page, which
 * opens the live viewer; a camera or screen is held for that viewer (liveCaptures.ts).
 */
import { createLiveSession, describeLiveError } from "../net/live";
import type { LiveSessionOut } from "../net/protocol";
import { h } from "./dom";
import { holdCapture, openCapture, stopCapture, type CaptureKind } from "./liveCaptures";

export interface LiveSourceEvents {
  /** A session was opened: show it. */
  onOpened(session: LiveSessionOut): void;
  /** What is being done now ("Asking for the camera…"), or null when done. */
  onBusy(message: string | null): void;
  /** Why it failed, in words (the server's error body, or the browser's reason). */
  onError(message: string): void;
}

const CAPTURE_NAMES: Record<CaptureKind, string> = { camera: "camera", screen: "screen" };

export class LiveSources {
  readonly element: HTMLElement;
  private readonly buttons: HTMLButtonElement[];
  private readonly url: HTMLInputElement;
  private busy = false;
  private disposed = false;

  constructor(private readonly events: LiveSourceEvents) {
    const camera = h("button", { id: "live-camera", type: "button", class: "primary", text: "Webcam" });
    const screen = h("button", { id: "live-screen", type: "button", text: "Screen" });
    this.url = h("input", {
      id: "live-url",
      type: "text",
      inputmode: "url",
      spellcheck: "false",
      placeholder: "rtsp://camera.local/stream, https://…/live.m3u8",
      "aria-label": "Stream URL",
    });
    const open = h("button", { id: "live-url-open", type: "submit", text: "Open stream" });
    const form = h("form", { id: "live-url-form", class: "live-url" }, this.url, open);
    this.buttons = [camera, screen, open];
    this.element = h(
      "section",
      { id: "live-sources", class: "live-sources" },
      h("h2", { text: "Live" }),
      h("p", { class: "muted", text: "Your webcam, a screen or window, or a network stream, in 3D as it happens." }),
      h("div", { class: "live-buttons" }, camera, screen),
      form,
    );
    camera.addEventListener("click", () => void this.capture("camera"));
    screen.addEventListener("click", () => void this.capture("screen"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.openUrl(this.url.value.trim());
    });
  }

  dispose(): void {
    this.disposed = true;
  }

  private async capture(kind: CaptureKind): Promise<void> {
    if (!this.begin(`Asking for the ${CAPTURE_NAMES[kind]}…`)) return;
    try {
      let capture;
      try {
        capture = await openCapture(kind);
      } catch (error) {
        this.events.onError(`The ${CAPTURE_NAMES[kind]} could not be opened: ${describeLiveError(error)}`);
        return;
      }
      this.events.onBusy(`Opening a live session for the ${CAPTURE_NAMES[kind]}…`);
      const { width, height } = capture.declared;
      let session: LiveSessionOut;
      try {
        session = await createLiveSession({ browser: kind, width, height, fps: capture.fps });
      } catch (error) {
        stopCapture(capture);
        this.events.onError(`The live session could not be opened. ${describeLiveError(error)}`);
        return;
      }
      if (this.disposed) {
        stopCapture(capture);
        return;
      }
      holdCapture(session.id, capture);
      this.events.onOpened(session);
    } finally {
      this.end();
    }
  }

  private async openUrl(url: string): Promise<void> {
    if (url === "") {
      this.events.onError("Enter the stream's URL (rtsp://, http:// or https://, HLS too).");
      return;
    }
    if (!this.begin(`Opening ${url}…`)) return;
    try {
      const session = await createLiveSession({ url });
      if (!this.disposed) this.events.onOpened(session);
    } catch (error) {
      this.events.onError(`The stream could not be opened. ${describeLiveError(error)}`);
    } finally {
      this.end();
    }
  }

  private begin(message: string): boolean {
    if (this.busy) return false;
    this.busy = true;
    for (const b of this.buttons) b.disabled = true;
    this.events.onBusy(message);
    return true;
  }

  private end(): void {
    this.busy = false;
    for (const b of this.buttons) b.disabled = false;
    this.events.onBusy(null);
  }
}
