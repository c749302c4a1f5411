/**
 * The session's export jobs in the Export panel, newest first: each with its format and range,
 * a progress bar (frames, fps, time left) fed by the job's event stream, Cancel while it runs,
 * and once done a download link and its size; a failed job says why.
 */
import type { FrameTimes } from "../depth/frameTimes";
import { ApiError, describeError } from "../net/api";
import { deleteExport, getExport, isFinished, listExports, watchExport, type ExportWatch } from "../net/exports";
import type { ExportJobInfo } from "../net/protocol";
import { FORMAT_CHOICES, jobProgressText, jobRangeText } from "./exportChoices";
import { formatBytes, h } from "./dom";

/** Wait before following a job again whose event stream the server refused while it ran. */
const REWATCH_MS = 1000;

interface JobRow {
  info: ExportJobInfo;
  element: HTMLLIElement;
  progress: HTMLProgressElement;
  detail: HTMLElement;
  actions: HTMLElement;
  watch: ExportWatch | null;
  /** Its stream was refused a moment ago: followed again after REWATCH_MS, not at once. */
  resting: boolean;
  /** The actions were built for this state (rebuilt when it changes). */
  actionsFor: string;
}

function formatLabel(job: ExportJobInfo): string {
  const label = FORMAT_CHOICES.find((c) => c.format === job.format)?.label ?? job.format;
  const res = job.options.process_res;
  return res === null || res === undefined ? label : `${label}, depth ${res}`;
}

export class ExportJobList {
  readonly element: HTMLElement;
  private readonly list: HTMLUListElement;
  private readonly empty: HTMLElement;
  private readonly rows = new Map<string, JobRow>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private disposed = false;

  constructor(
    private readonly sessionId: string,
    private readonly times: FrameTimes,
    /** Called with every job after each change (window.__depthcast.exportJobs). */
    private readonly report: (jobs: ExportJobInfo[]) => void,
  ) {
    this.list = h("ul", { id: "export-jobs", class: "export-jobs" });
    this.empty = h("p", { class: "export-empty muted", text: "No exports yet." });
    this.element = h("section", { class: "export-job-section" }, h("h3", { text: "Exports of this video" }), this.empty, this.list);
  }

  /** The jobs the server has for this session (those another tab started too). */
  async load(): Promise<void> {
    const jobs = await listExports(this.sessionId);
    for (const job of jobs) this.show(job);
  }

  /** Add a job or update its row (an identical request answers an existing job). */
  show(info: ExportJobInfo): void {
    if (this.disposed) return;
    let row = this.rows.get(info.id);
    if (row === undefined) {
      row = this.createRow(info);
      this.rows.set(info.id, row);
      this.list.prepend(row.element);
    }
    row.info = info;
    this.render(row);
    if (!isFinished(info.state) && row.watch === null && !row.resting) this.follow(row);
    this.changed();
  }

  dispose(): void {
    this.disposed = true;
    for (const timer of this.timers) clearTimeout(timer);
    for (const row of this.rows.values()) row.watch?.close();
  }

  private createRow(info: ExportJobInfo): JobRow {
    const progress = h("progress", { class: "export-progress", max: 1, value: 0 });
    const detail = h("div", { class: "export-job-detail" });
    const actions = h("div", { class: "export-job-actions" });
    const title = h("div", { class: "export-job-title" }, h("strong", { text: formatLabel(info) }), ` · ${jobRangeText(info, this.times)}`);
    const element = h("li", { class: "export-job", "data-job-id": info.id }, title, progress, detail, actions);
    return { info, element, progress, detail, actions, watch: null, resting: false, actionsFor: "" };
  }

  private render(row: JobRow): void {
    const { info } = row;
    row.element.dataset.state = info.state;
    row.progress.value = info.state === "done" ? 1 : info.progress;
    row.progress.hidden = info.state === "failed" || info.state === "cancelled";
    row.detail.textContent = jobProgressText(info);
    row.detail.classList.toggle("error", info.state === "failed");
    const key = `${info.state} ${info.file_url ?? ""}`;
    if (row.actionsFor === key) return;
    row.actionsFor = key;
    if (!isFinished(info.state)) {
      row.actions.replaceChildren(this.button("Cancel", "export-cancel", row));
      return;
    }
    const children: HTMLElement[] = [];
    if (info.state === "done" && info.file_url !== null) {
      const size = info.size_bytes === null ? "" : ` (${formatBytes(info.size_bytes)})`;
      children.push(h("a", { class: "export-download", href: info.file_url, download: info.file_name, text: `Download ${info.file_name}${size}` }));
    }
    children.push(this.button(info.state === "done" ? "Delete" : "Remove", "export-remove", row));
    row.actions.replaceChildren(...children);
  }

  /** Cancel (queued, running) or delete (finished) a job: the server forgets it, the row goes. */
  private button(text: string, cls: string, row: JobRow): HTMLButtonElement {
    const title = cls === "export-cancel" ? "Stop this export and remove its partial file" : "Delete this export's file from the server";
    const button = h("button", { type: "button", class: cls, text, title });
    button.addEventListener("click", () => {
      button.disabled = true;
      deleteExport(row.info).then(
        () => this.remove(row),
        (e: unknown) => {
          button.disabled = false;
          row.detail.textContent = `${text} failed: ${describeError(e)}`;
        },
      );
    });
    return button;
  }

  private follow(row: JobRow): void {
    row.watch = watchExport(row.info, (info) => {
      if (isFinished(info.state)) row.watch = null;
      this.show(info);
    }, () => {
      row.watch = null;
      this.recheck(row);
    });
  }

  /** The event stream was refused: read the job; gone (404) removes its row, a blip tries later. */
  private recheck(row: JobRow): void {
    const current = (): boolean => !this.disposed && this.rows.get(row.info.id) === row && row.watch === null;
    getExport(row.info).then(
      (info) => {
        if (!isFinished(info.state)) {
          row.resting = true;
          this.later(() => {
            row.resting = false;
            if (current()) this.follow(row);
          });
        }
        if (this.rows.get(info.id) === row) this.show(info);
      },
      (e: unknown) => {
        if (e instanceof ApiError && e.status === 404) this.remove(row);
        else this.later(() => current() && this.recheck(row));
      },
    );
  }

  private later(fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, REWATCH_MS);
    this.timers.add(timer);
  }

  private remove(row: JobRow): void {
    row.watch?.close();
    row.watch = null;
    if (this.rows.get(row.info.id) === row) this.rows.delete(row.info.id);
    row.element.remove();
    this.changed();
  }

  private changed(): void {
    this.empty.hidden = this.rows.size > 0;
    this.report([...this.rows.values()].map((r) => r.info));
  }
}
