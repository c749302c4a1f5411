/**
 * The live player's DOM, shaped like the file player's (app/playerLayout.ts) so the same CSS
 * and e2e ids apply (#player, #view, #notice, #stage): a header line (the source, its state
 * and size), banners, the stage (3D canvas, this device's own capture preview, HUD) and the
 * control bar. There is no <video> of the source: the pictures come with their depth.
 */
import type { LiveInfo, LiveSessionOut, VideoInfo } from "../net/protocol";
import { h } from "./dom";
import { randomWeightsBanner } from "./healthPanel";
import type { NoticeKind } from "./playerLayout";

const KIND_NAMES: Record<LiveInfo["kind"], string> = { url: "Stream", camera: "Webcam", screen: "Screen" };

/** "Webcam" / "Screen" / the stream's URL (as the server shows it: no user, password or query). */
export function sourceTitle(live: Pick<LiveInfo, "kind" | "source">): string {
  return live.kind === "url" ? live.source : KIND_NAMES[live.kind];
}

export class LiveLayout {
  readonly element: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  private readonly stage: HTMLElement;
  private readonly state: HTMLElement;
  private readonly size: HTMLElement;
  private readonly notice: HTMLElement;
  private readonly banners: HTMLElement;

  constructor(session: LiveSessionOut, hud: HTMLElement, controls: HTMLElement) {
    this.canvas = h("canvas", { id: "view", class: "view", tabindex: 0 });
    this.notice = h("div", { id: "notice", class: "banner info", role: "status" });
    this.notice.hidden = true;
    this.banners = h("div", { class: "banners" }, this.notice);
    this.state = h("span", { id: "live-state", class: "live-state" });
    this.size = h("span", { class: "video-info" });
    this.stage = h("div", { id: "stage", class: "stage" }, this.canvas, hud);
    this.element = h(
      "div",
      { id: "player", class: "player live" },
      h("header", { class: "player-top" }, h("span", { id: "filename", class: "filename", text: sourceTitle(session.live) }), this.state, this.size),
      this.banners,
      this.stage,
      controls,
    );
    this.showState(session.live.state);
    this.showFormat(session.video);
  }

  /** This device's own camera or screen, small in a corner (only the capture input). */
  addPreview(video: HTMLVideoElement): void {
    this.stage.append(video);
  }

  showState(state: LiveInfo["state"]): void {
    this.state.textContent = state === "live" ? "● live" : state;
    this.state.dataset.state = state;
  }

  showFormat(video: VideoInfo): void {
    this.size.textContent = video.width > 0 ? `${video.width}×${video.height}${video.fps > 0 ? ` · ${video.fps.toFixed(0)} fps` : ""}` : "";
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

  showRandomWeights(): void {
    if (this.banners.querySelector("#random-weights-banner") === null) this.banners.prepend(randomWeightsBanner(true));
  }

  dispose(): void {
    this.element.remove();
  }
}
