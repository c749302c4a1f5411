/**
 * The Scene panel over the player: start a scene job on this session (camera path and fused
 * point cloud, docs/SCENE.md) with its chunking and voxel options, follow its progress, cancel
 * it, download its files, and open the scene view (`?scene=JOB`) while it grows. The Export
 * panel owns it (app/exportPanel.ts), so the player only places it.
 */
import { ApiError, describeError, type SessionInfo } from "../net/api";
import { getScene, isSceneFinished, startScene, watchScene, type SceneJobInfo, type SceneRequest, type SceneWatch } from "../net/scenes";
import type { DepthcastDebug } from "./debugState";
import { h } from "./dom";
import { withScene } from "./params";
import { SceneJobView } from "./sceneJobView";

/** Wait before reading a job again whose event stream dropped. */
const RECHECK_MS = 1000;

interface JobRow {
  view: SceneJobView;
  info: SceneJobInfo;
  watch: SceneWatch | null;
}

/** The request from the form's fields: blank fields take the server's settings. */
export function sceneRequest(fields: { chunkFrames: string; overlap: string; stride: string; voxel: string; npz: boolean; motion?: boolean }): SceneRequest | string {
  const request: SceneRequest = {};
  const whole = (text: string, name: string, min: number): number | string | null => {
    if (text.trim() === "") return null;
    const value = Number(text);
    return Number.isInteger(value) && value >= min ? value : `${name} must be a whole number of at least ${min}.`;
  };
  const chunk = whole(fields.chunkFrames, "Keyframes a chunk", 2);
  const overlap = whole(fields.overlap, "Overlap", 1);
  const stride = whole(fields.stride, "Stride", 1);
  for (const value of [chunk, overlap, stride]) if (typeof value === "string") return value;
  if (typeof chunk === "number") request.chunk_frames = chunk;
  if (typeof overlap === "number") request.overlap = overlap;
  if (typeof stride === "number") request.stride = stride;
  if (typeof chunk === "number" && typeof overlap === "number" && overlap >= chunk) return "The overlap must be smaller than the chunk.";
  if (fields.voxel.trim() !== "") {
    const voxel = Number(fields.voxel);
    if (!Number.isFinite(voxel) || voxel < 0) return "The voxel size must be a number of at least 0 (0: chosen from the scene).";
    request.voxel = voxel;
  }
  if (fields.npz) request.npz = true;
  if (fields.motion === true) request.keyframes = "motion";
  return request;
}

export class ScenePanel {
  readonly element: HTMLElement;
  private readonly list: HTMLElement;
  private readonly message: HTMLElement;
  private readonly fields: { chunkFrames: HTMLInputElement; overlap: HTMLInputElement; stride: HTMLInputElement; voxel: HTMLInputElement; npz: HTMLInputElement; motion: HTMLInputElement };
  private readonly rows = new Map<string, JobRow>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private disposed = false;

  constructor(
    private readonly session: SessionInfo,
    private readonly state: DepthcastDebug,
  ) {
    const number = (id: string, placeholder: string, title: string, step = "1"): HTMLInputElement =>
      h("input", { id, type: "number", min: 0, step, placeholder, title });
    this.fields = {
      chunkFrames: number("scene-chunk-frames", "default", "Keyframes in each network pass (more: better alignment, more memory)"),
      overlap: number("scene-overlap", "default", "Keyframes each chunk shares with the one before (they align the two)"),
      stride: number("scene-stride", "default", "Every n-th frame is a keyframe"),
      voxel: number("scene-voxel", "auto", "Voxel size of the fused cloud in the scene's units (blank or 0: chosen from the scene)", "any"),
      npz: h("input", { id: "scene-npz", type: "checkbox", title: "Also frames.npz: depth, confidence and camera of every keyframe" }),
      motion: h("input", { id: "scene-motion", type: "checkbox", title: "Keyframes where the picture moved on (a still stretch costs one), not every stride-th frame" }),
    };
    const field = (text: string, input: HTMLInputElement): HTMLElement => h("label", { class: "control" }, h("span", { class: "control-label", text }), input);
    const start = h("button", { id: "scene-start", type: "button", class: "primary", text: "Make scene" });
    const close = h("button", { type: "button", class: "export-close", text: "Close" });
    this.message = h("p", { id: "scene-message", class: "export-message", role: "status" });
    this.message.hidden = true;
    this.list = h("div", { id: "scene-jobs", class: "scene-jobs" });
    this.element = h(
      "div",
      { id: "scene-panel", class: "export-panel scene-panel", role: "dialog", "aria-label": "Scene" },
      h("header", { class: "export-head" }, h("h2", { text: "Scene: camera path and point cloud" }), close),
      h(
        "section",
        {},
        h("p", { class: "export-hint muted", text: "The whole video, chunk by chunk: camera poses and one fused point cloud, shown as they grow (orbit, side by side or VR)." }),
        h("div", { class: "export-row" }, field("keyframes a chunk", this.fields.chunkFrames), field("overlap", this.fields.overlap), field("stride", this.fields.stride), field("motion keyframes", this.fields.motion)),
        h("div", { class: "export-row" }, field("voxel", this.fields.voxel), field("per-frame npz", this.fields.npz), start),
      ),
      this.message,
      h("section", {}, this.list),
    );
    this.element.hidden = true;
    close.addEventListener("click", () => this.toggle());
    start.addEventListener("click", () => void this.start());
  }

  toggle(open = this.element.hidden): void {
    this.element.hidden = !open;
  }

  dispose(): void {
    this.disposed = true;
    for (const timer of this.timers) clearTimeout(timer);
    for (const row of this.rows.values()) row.watch?.close();
  }

  private async start(): Promise<void> {
    const f = this.fields;
    const request = sceneRequest({ chunkFrames: f.chunkFrames.value, overlap: f.overlap.value, stride: f.stride.value, voxel: f.voxel.value, npz: f.npz.checked, motion: f.motion.checked });
    if (typeof request === "string") return this.say(request, true);
    this.say(null);
    try {
      this.show(await startScene(this.session.id, request));
    } catch (e) {
      this.say(e instanceof ApiError ? e.message : describeError(e), true);
    }
  }

  private show(info: SceneJobInfo): void {
    if (this.disposed) return;
    let row = this.rows.get(info.id);
    if (row === undefined) {
      const view = new SceneJobView(info, { viewHref: (job) => withScene(location.href, job.id), cancelled: (job) => void this.recheck(job.id) });
      row = { view, info, watch: null };
      this.rows.set(info.id, row);
      this.list.prepend(view.element);
    }
    row.info = info;
    row.view.show(info);
    if (!isSceneFinished(info.state) && row.watch === null) this.follow(row);
    this.state.sceneJobs = [...this.rows.values()].map((r) => r.info).reverse();
  }

  private follow(row: JobRow): void {
    row.watch = watchScene(
      row.info,
      (info) => {
        if (isSceneFinished(info.state)) row.watch = null;
        this.show(info);
      },
      () => {
        row.watch = null;
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          void this.recheck(row.info.id);
        }, RECHECK_MS);
        this.timers.add(timer);
      },
    );
  }

  /** Read a job again (its stream dropped, or it was cancelled from here). */
  private async recheck(jobId: string): Promise<void> {
    try {
      this.show(await getScene(this.session.id, jobId));
    } catch (e) {
      const row = this.rows.get(jobId);
      if (row === undefined || this.disposed) return;
      if (e instanceof ApiError && e.status === 404) {
        row.watch?.close();
        row.view.element.remove();
        this.rows.delete(jobId);
        this.state.sceneJobs = [...this.rows.values()].map((r) => r.info).reverse();
      } else {
        this.say(`The scene job could not be read: ${describeError(e)}`, true);
      }
    }
  }

  private say(message: string | null, error = false): void {
    this.message.hidden = message === null;
    this.message.textContent = message ?? "";
    this.message.classList.toggle("error", error);
  }
}
