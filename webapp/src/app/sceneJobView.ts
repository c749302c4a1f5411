/**
 * One scene job, shown alike in the player's Scene panel and in the scene view: what it makes
 * (chunks, stride, metric or relative), a progress bar and its figures, Cancel while it runs,
 * and once done a download link for each of its files; a failed job says why.
 */
import { describeError } from "../net/api";
import { cancelScene, isSceneFinished, sceneFileUrl, type SceneJobInfo } from "../net/scenes";
import { formatBytes, h } from "./dom";

/** "chunk 2 of 5 · 40 of 120 keyframes · 1.5 keyframes/s · 12,345 points", or the state. */
export function sceneProgressText(info: SceneJobInfo): string {
  const p = info.progress;
  const points = `${info.points.toLocaleString("en-US")} points`;
  switch (info.state) {
    case "queued":
      return "waiting for the model…";
    case "failed":
      return `failed: ${info.error ?? "no reason given"}`;
    case "cancelled":
      return `cancelled after ${p.chunks_done} of ${p.chunks_total} chunks`;
    case "done":
      return `done: ${p.frames_done} keyframes in ${p.chunks_done} chunks · ${points}`;
    case "running": {
      const fps = info.fps > 0 ? ` · ${info.fps.toFixed(1)} keyframes/s` : "";
      return `chunk ${p.chunks_done} of ${p.chunks_total} · ${p.frames_done} of ${p.frames_total} keyframes${fps} · ${points}`;
    }
  }
}

/** The share done, 0..1. */
export function sceneProgressShare(info: SceneJobInfo): number {
  if (info.state === "done") return 1;
  const total = info.progress.frames_total;
  return total > 0 ? Math.min(1, info.progress.frames_done / total) : 0;
}

export function sceneTitle(info: SceneJobInfo): string {
  const scale = info.metric ? "metric (metres)" : "relative scale";
  return `Scene · chunks of ${info.chunk_frames} keyframes, ${info.overlap} shared, stride ${info.stride} · ${scale}`;
}

export interface SceneJobViewOptions {
  /** A "View in 3D" link to the scene view, when it is elsewhere (the player's panel). */
  viewHref?: (job: SceneJobInfo) => string;
  /** The job was cancelled from here. */
  cancelled?: (job: SceneJobInfo) => void;
}

export class SceneJobView {
  readonly element: HTMLElement;
  private readonly title: HTMLElement;
  private readonly progress: HTMLProgressElement;
  private readonly detail: HTMLElement;
  private readonly actions: HTMLElement;
  private readonly downloads: HTMLElement;
  private actionsFor = "";
  private info: SceneJobInfo;

  constructor(info: SceneJobInfo, private readonly options: SceneJobViewOptions = {}) {
    this.info = info;
    this.title = h("div", { class: "export-job-title scene-job-title" });
    this.progress = h("progress", { class: "export-progress scene-progress", max: 1, value: 0 });
    this.detail = h("div", { class: "export-job-detail scene-job-detail", role: "status" });
    this.actions = h("div", { class: "export-job-actions scene-job-actions" });
    this.downloads = h("div", { class: "export-job-actions scene-downloads" });
    this.element = h("div", { class: "scene-job", "data-job-id": info.id }, this.title, this.progress, this.detail, this.actions, this.downloads);
    this.show(info);
  }

  show(info: SceneJobInfo): void {
    this.info = info;
    this.element.dataset.state = info.state;
    this.title.textContent = sceneTitle(info);
    this.progress.value = sceneProgressShare(info);
    this.progress.hidden = info.state === "failed" || info.state === "cancelled";
    this.detail.textContent = sceneProgressText(info);
    this.detail.classList.toggle("error", info.state === "failed");
    const key = `${info.state} ${info.files.map((f) => f.name).join(",")}`;
    if (key === this.actionsFor) return;
    this.actionsFor = key;
    const actions: HTMLElement[] = [];
    if (this.options.viewHref !== undefined && info.state !== "failed") {
      actions.push(h("a", { class: "scene-open", href: this.options.viewHref(info), text: "View in 3D", title: "The point cloud and camera path, growing as chunks finish" }));
    }
    if (!isSceneFinished(info.state)) actions.push(this.cancelButton());
    this.actions.replaceChildren(...actions);
    this.downloads.replaceChildren(
      ...info.files.map((file) =>
        h("a", { class: "scene-download", href: sceneFileUrl(info, file.name), download: file.name, text: `${file.name} (${formatBytes(file.bytes)})` }),
      ),
    );
  }

  private cancelButton(): HTMLButtonElement {
    const button = h("button", { type: "button", class: "scene-cancel", text: "Cancel", title: "Stop this scene job" });
    button.addEventListener("click", () => {
      button.disabled = true;
      cancelScene(this.info).then(
        () => this.options.cancelled?.(this.info),
        (e: unknown) => {
          button.disabled = false;
          this.detail.textContent = `Cancel failed: ${describeError(e)}`;
        },
      );
    });
    return button;
  }
}
