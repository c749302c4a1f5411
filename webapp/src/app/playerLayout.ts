/**
 * The player's DOM: a header line (file name, video facts), banners (notices, the
 * random-weights warning), the stage (3D canvas, preview video, HUD) and the control bar.
 * The ids (#player, #view, #video, #notice, #stage...) are part of the e2e contract.
 */
import type { SessionInfo } from "../net/api";
import { h } from "./dom";
import { randomWeightsBanner } from "./healthPanel";

export type NoticeKind = "info" | "error";

export class PlayerLayout {
  readonly element: HTMLElement;
  /** The source of colour and of the clock; shown small in a corner. */
  readonly video: HTMLVideoElement;
  readonly canvas: HTMLCanvasElement;
  private readonly notice: HTMLElement;
  private readonly banners: HTMLElement;

  constructor(session: SessionInfo, hud: HTMLElement, controls: HTMLElement, muted: boolean) {
    this.video = h("video", { id: "video", class: "preview", playsinline: true, preload: "auto" });
    this.video.src = session.video_url;
    if (muted) {
      this.video.muted = true;
      this.video.defaultMuted = true;
    }
    this.canvas = h("canvas", { id: "view", class: "view", tabindex: 0 });
    this.notice = h("div", { id: "notice", class: "banner info", role: "status" });
    this.notice.hidden = true;
    this.banners = h("div", { class: "banners" }, this.notice);
    const v = session.video;
    this.element = h(
      "div",
      { id: "player", class: "player" },
      h(
        "header",
        { class: "player-top" },
        h("span", { id: "filename", class: "filename", text: session.filename }),
        h("span", {
          class: "video-info",
          text: `${v.width}×${v.height} · ${v.fps.toFixed(2)} fps · ${v.frame_count} frames · ${v.codec}`,
        }),
      ),
      this.banners,
      h("div", { id: "stage", class: "stage" }, this.canvas, this.video, hud),
      controls,
    );
  }

  /** Show a notice; null hides an info notice (an error stays until the page changes). */
  showNotice(message: string | null, kind: NoticeKind = "info"): void {
    if (message === null) {
      if (!this.notice.classList.contains("error")) this.notice.hidden = true;
      return;
    }
    this.notice.textContent = message;
    this.notice.className = `banner ${kind}`;
    this.notice.hidden = false;
  }

  /** The one-line warning that the depth comes from random weights (once). */
  showRandomWeights(): void {
    if (this.banners.querySelector("#random-weights-banner") === null) this.banners.prepend(randomWeightsBanner(true));
  }

  /** Why the <video> cannot play, in words, or null while it can. */
  videoError(): string | null {
    const error = this.video.error;
    if (!error) return null;
    return `The browser cannot play this video (${error.message || `code ${error.code}`}). Try H.264 in MP4.`;
  }

  /** Release the video's decoder and leave the page. */
  dispose(): void {
    this.video.pause();
    this.video.removeAttribute("src");
    this.video.load();
    this.element.remove();
  }
}
