/**
 * The Export panel over the stage: "Capture this frame" (paused: a PLY and a PNG16 of the
 * frame shown, at the stream's depth size or a larger one), a form (format, range, the
 * format's options, Start) and the session's jobs (app/exportJobs.ts). Its rules are pure
 * functions in app/exportChoices.ts; the REST calls are net/exports.ts. It also owns the
 * Scene panel (app/scenePanel.ts), the other kind of job on the whole video.
 */
import type { FrameTimes } from "../depth/frameTimes";
import { ApiError, describeError, type SessionInfo } from "../net/api";
import { startExport } from "../net/exports";
import type { ExportRequest } from "../net/protocol";
import type { DepthcastDebug } from "./debugState";
import { captureRequests, processResChoices } from "./exportChoices";
import { ExportJobList } from "./exportJobs";
import { ExportForm } from "./exportForm";
import { h } from "./dom";
import { ScenePanel } from "./scenePanel";

/** What the panel needs of the player. */
export interface ExportHost {
  readonly video: HTMLVideoElement;
  /** The frame index on screen. */
  shownIndex(): number;
}

/** How often the capture line follows the playhead while the panel is open. */
const REFRESH_MS = 250;

function processResLabel(res: number | null, session: SessionInfo): string {
  return res === null ? `stream size (${session.depth.width}×${session.depth.height})` : `${res} (sharper, slower)`;
}

/** Which of the two panels a control opens. */
export type JobPanel = "export" | "scene";

export class ExportPanel {
  readonly element: HTMLElement;
  readonly scenes: ScenePanel;
  private readonly form: ExportForm;
  private readonly jobs: ExportJobList;
  private readonly captureButton: HTMLButtonElement;
  private readonly captureRes: HTMLSelectElement;
  private readonly captureNote: HTMLElement;
  private readonly message: HTMLElement;
  private timer: ReturnType<typeof setInterval> | null = null;
  private loaded = false;

  constructor(
    private readonly session: SessionInfo,
    private readonly times: FrameTimes,
    private readonly host: ExportHost,
    state: DepthcastDebug,
  ) {
    const resChoices = processResChoices(Math.max(session.depth.width, session.depth.height));
    this.form = new ExportForm(times, host, resChoices.map((r) => ({ value: r, label: processResLabel(r, session) })));
    this.jobs = new ExportJobList(session.id, times, (jobs) => (state.exportJobs = jobs));
    this.scenes = new ScenePanel(session, state);
    this.captureRes = h("select", { id: "capture-process-res", title: "The model's input size for the capture: larger is sharper and slower" });
    for (const r of resChoices) this.captureRes.append(h("option", { value: r ?? "", text: processResLabel(r, session) }));
    this.captureButton = h("button", { id: "capture-frame", type: "button", class: "primary", text: "Capture this frame", title: "A PLY point cloud and a 16-bit PNG of the paused frame" });
    this.captureNote = h("span", { id: "capture-note", class: "muted" });
    this.message = h("p", { id: "export-message", class: "export-message", role: "status" });
    this.message.hidden = true;
    const close = h("button", { type: "button", class: "export-close", text: "Close" });
    const start = h("button", { id: "export-start", type: "button", class: "primary", text: "Start" });
    this.element = h(
      "div",
      { id: "export-panel", class: "export-panel", role: "dialog", "aria-label": "Export depth" },
      h("header", { class: "export-head" }, h("h2", { text: "Export depth" }), close),
      h(
        "section",
        { class: "export-capture" },
        h("div", { class: "export-row" }, this.captureButton, h("label", { class: "control" }, h("span", { class: "control-label", text: "depth size" }), this.captureRes)),
        this.captureNote,
      ),
      h("section", { class: "export-form" }, this.form.element, h("div", { class: "export-row" }, start, this.form.summary)),
      this.message,
      this.jobs.element,
    );
    this.element.hidden = true;
    close.addEventListener("click", () => this.toggle());
    start.addEventListener("click", () => void this.startForm());
    this.captureButton.addEventListener("click", () => void this.capture());
  }

  get open(): boolean {
    return !this.element.hidden;
  }

  /** Open or close the Export panel, or (`scene`) the Scene panel; one shows at a time. */
  toggle(panel: JobPanel = "export"): void {
    if (panel === "scene") {
      if (this.open) this.toggle();
      return this.scenes.toggle();
    }
    if (!this.open) this.scenes.toggle(false);
    this.element.hidden = !this.element.hidden;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = this.open ? setInterval(() => this.refresh(), REFRESH_MS) : null;
    if (this.open) {
      if (!this.loaded) void this.load();
      this.refresh();
    }
  }

  /** List the session's jobs (they outlive the tab that started them); returns the cleanup. */
  start(): () => void {
    void this.load();
    return () => {
      if (this.timer !== null) clearInterval(this.timer);
      this.jobs.dispose();
      this.scenes.dispose();
    };
  }

  private async load(): Promise<void> {
    this.loaded = true;
    try {
      await this.jobs.load();
    } catch (e) {
      this.loaded = false; // try again when the panel opens
      this.say(`The exports of this video could not be listed: ${describeError(e)}`, true);
    }
  }

  /** The capture line follows the playhead and the play state. */
  private refresh(): void {
    const paused = this.host.video.paused;
    this.captureButton.disabled = !paused;
    const index = this.host.shownIndex();
    this.captureNote.textContent = paused
      ? `frame ${index} of ${this.times.count} (${this.times.time(index).toFixed(3)} s): a PLY point cloud and a 16-bit PNG`
      : "Pause on a frame to capture it.";
    this.form.refresh();
  }

  private async capture(): Promise<void> {
    if (!this.host.video.paused) return;
    const value = this.captureRes.value;
    await this.submit(captureRequests(this.host.shownIndex(), value === "" ? null : Number(value)));
  }

  private async startForm(): Promise<void> {
    const request = this.form.request();
    if (typeof request === "string") this.say(request, true);
    else await this.submit([request]);
  }

  private async submit(requests: ExportRequest[]): Promise<void> {
    this.say(null);
    try {
      for (const request of requests) this.jobs.show(await startExport(this.session.id, request));
    } catch (e) {
      this.say(e instanceof ApiError ? e.message : describeError(e), true);
    }
  }

  private say(message: string | null, error = false): void {
    this.message.hidden = message === null;
    this.message.textContent = message ?? "";
    this.message.classList.toggle("error", error);
  }
}
