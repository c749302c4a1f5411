/**
 * The scene view's DOM: a header (the video's name, what the scene is), a notice, the stage
 * (the 3D canvas `#view` and a one-line status `#scene-status`) and a control bar: back to the
 * video, view mode, reset view, point size, Enter VR, and the job itself (progress, cancel,
 * downloads). The control bar is the view-mode controller's `ModeControls`.
 */
import type { SessionInfo } from "../net/api";
import { modeOptions } from "./controls";
import { h } from "./dom";
import { randomWeightsBanner } from "./healthPanel";
import type { ViewMode } from "./params";
import type { ModeControls } from "./viewMode";

export interface SceneControlHandlers {
  back(): void;
  setMode(mode: ViewMode): void;
  resetView(): void;
  setPointFactor(factor: number): void;
  enterVr(): void;
}

export class SceneLayout implements ModeControls {
  readonly element: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  readonly status: HTMLElement;
  private readonly notice: HTMLElement;
  private readonly banners: HTMLElement;
  private readonly mode: HTMLSelectElement;
  private readonly vrButton: HTMLButtonElement;

  constructor(session: SessionInfo, job: HTMLElement, handlers: SceneControlHandlers) {
    this.canvas = h("canvas", { id: "view", class: "view", tabindex: 0 });
    this.status = h("div", { id: "scene-status", class: "scene-status", role: "status" });
    this.notice = h("div", { id: "notice", class: "banner info", role: "status" });
    this.notice.hidden = true;
    this.mode = h("select", { id: "mode", title: "View mode (m)" });
    this.mode.append(...modeOptions()); // the `m` key and ?mode= reach every one
    this.vrButton = h("button", { id: "enter-vr", type: "button", text: "Enter VR", title: "Enter VR", disabled: true });
    const back = h("button", { id: "scene-back", type: "button", text: "← Video", title: "Back to the video" });
    const reset = h("button", { id: "reset-view", type: "button", text: "Reset view", title: "Back to the first camera's view (r)" });
    const size = h("input", { id: "point-size", type: "range", min: 0.25, max: 4, step: 0.05, value: 1, title: "Point size" });
    const label = (text: string, control: HTMLElement): HTMLElement => h("label", { class: "control" }, h("span", { class: "control-label", text }), control);
    this.element = h(
      "div",
      { id: "scene-view", class: "player scene-view" },
      h(
        "header",
        { class: "player-top" },
        h("span", { id: "filename", class: "filename", text: session.filename }),
        h("span", { class: "video-info", text: "scene: camera path (yellow) and fused point cloud" }),
      ),
      (this.banners = h("div", { class: "banners" }, this.notice)),
      h("div", { id: "stage", class: "stage" }, this.canvas, this.status),
      h(
        "div",
        { id: "controls", class: "controls" },
        h("div", { class: "settings" }, back, label("mode", this.mode), reset, label("points", size), this.vrButton),
        job,
      ),
    );
    back.addEventListener("click", () => handlers.back());
    this.mode.addEventListener("change", () => handlers.setMode(this.mode.value as ViewMode));
    reset.addEventListener("click", () => handlers.resetView());
    size.addEventListener("input", () => handlers.setPointFactor(Number(size.value)));
    this.vrButton.addEventListener("click", () => handlers.enterVr());
  }

  /** The warning that the scene comes from random weights (meaningless poses and points). */
  showRandomWeights(): void {
    if (this.banners.querySelector("#random-weights-banner") === null) this.banners.prepend(randomWeightsBanner(true));
  }

  showMode(mode: ViewMode): void {
    this.mode.value = mode;
  }

  setVrActive(active: boolean): void {
    this.vrButton.textContent = active ? "Exit VR" : "Enter VR";
  }

  setVrSupported(supported: boolean): void {
    this.vrButton.disabled = !supported;
    const option = [...this.mode.options].find((o) => o.value === "vr");
    if (option) option.disabled = !supported;
  }

  showNotice(message: string | null, error = false): void {
    this.notice.hidden = message === null;
    this.notice.textContent = message ?? "";
    this.notice.className = `banner ${error ? "error" : "info"}`;
  }

  dispose(): void {
    this.element.remove();
  }
}
