/**
 * The upload page: drag-and-drop or file picker, upload progress, live sources (webcam, screen,
 * stream URL), server errors in words, recently opened sessions, and the server's health.
 */
import { ApiError, describeError, getSession, uploadVideo, type SessionInfo } from "../net/api";
import type { LiveSessionOut } from "../net/protocol";
import { formatBytes, h } from "./dom";
import { HealthPanel } from "./healthPanel";
import { LiveSources } from "./liveSources";
import type { RecentSessions } from "./recentSessions";

export interface UploadPageOptions {
  recent: RecentSessions;
  /** A message to show at once (e.g. "that session no longer exists"). */
  notice: string | null;
  onOpen(sessionId: string): void;
  onUploaded(session: SessionInfo): void;
  /** A live session was opened (a webcam, a screen, a stream URL). */
  onLive(session: LiveSessionOut): void;
  onError(message: string | null): void;
}

export class UploadPage {
  readonly element: HTMLElement;
  private readonly health = new HealthPanel();
  private readonly input: HTMLInputElement;
  private readonly dropZone: HTMLElement;
  private readonly progress: HTMLProgressElement;
  private readonly status: HTMLElement;
  private readonly error: HTMLElement;
  private readonly recentList: HTMLUListElement;
  private readonly live: LiveSources;
  private uploading = false;
  private abortUpload: (() => void) | null = null;

  constructor(private readonly options: UploadPageOptions) {
    this.input = h("input", { type: "file", id: "file-input", accept: "video/*,.mp4,.webm,.mkv,.mov" });
    this.progress = h("progress", { id: "upload-progress", max: 1, value: 0 });
    this.progress.hidden = true;
    this.status = h("span", { id: "upload-status", class: "upload-status" });
    this.error = h("p", { id: "upload-error", class: "error", role: "alert" });
    this.error.hidden = true;
    this.dropZone = h(
      "label",
      { id: "drop-zone", class: "drop-zone", for: "file-input" },
      h("strong", { text: "Drop a video here" }),
      h("span", { text: " or click to choose a file" }),
      this.input,
    );
    this.recentList = h("ul", { id: "recent-sessions", class: "recent" });
    this.live = new LiveSources({
      onOpened: (session) => options.onLive(session),
      onBusy: (message) => {
        if (message !== null) this.hideError();
        this.status.textContent = message ?? "";
      },
      onError: (message) => this.showError(message),
    });
    this.element = h(
      "main",
      { id: "upload-page", class: "upload-page" },
      h("header", {}, h("h1", { text: "depthcast" }), h("p", { class: "tagline", text: "Turn any video into live 3D." })),
      this.health.element,
      this.dropZone,
      h("div", { class: "progress-row" }, this.progress, this.status),
      this.error,
      this.live.element,
      h("section", { id: "recent", class: "recent-section" }, h("h2", { text: "Recent videos" }), this.recentList),
    );
    this.bind();
    if (options.notice) this.showError(options.notice);
  }

  mount(parent: HTMLElement): void {
    parent.append(this.element);
    this.health.start();
    this.renderRecent();
    void this.options.recent
      .validate(async (id) => {
        try {
          await getSession(id);
          return true;
        } catch (error) {
          if (error instanceof ApiError && error.status === 404) return false;
          throw error;
        }
      })
      .then(() => this.renderRecent());
  }

  dispose(): void {
    this.health.stop();
    this.live.dispose();
    this.abortUpload?.();
    this.element.remove();
  }

  private bind(): void {
    this.input.addEventListener("change", () => {
      const file = this.input.files?.[0];
      if (file) void this.upload(file);
    });
    const zone = this.dropZone;
    const over = (event: DragEvent): void => {
      event.preventDefault();
      if (event.dataTransfer) event.dataTransfer.dropEffect = "copy";
      zone.classList.add("dragging");
    };
    zone.addEventListener("dragenter", over);
    zone.addEventListener("dragover", over);
    zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      zone.classList.remove("dragging");
      const file = event.dataTransfer?.files?.[0];
      if (file) void this.upload(file);
    });
    // a file dropped anywhere else on the page must not navigate away
    window.addEventListener("dragover", (event) => event.preventDefault());
    window.addEventListener("drop", (event) => event.preventDefault());
  }

  private async upload(file: File): Promise<void> {
    if (this.uploading) return;
    this.uploading = true;
    this.hideError();
    this.progress.hidden = false;
    this.progress.value = 0;
    this.status.textContent = `Uploading ${file.name} (${formatBytes(file.size)})…`;
    this.dropZone.classList.add("busy");
    const job = uploadVideo(file, ({ loaded, total }) => {
      const share = total > 0 ? loaded / total : 0;
      this.progress.value = share;
      this.status.textContent =
        share >= 1
          ? `Uploaded ${formatBytes(total)}; the server is reading the video…`
          : `Uploading ${file.name}: ${Math.round(share * 100)} % of ${formatBytes(total)}`;
    });
    this.abortUpload = job.abort;
    try {
      const session = await job.promise;
      this.progress.value = 1;
      this.status.textContent = `Uploaded ${session.filename}.`;
      this.options.recent.add(session.id, session.filename);
      this.options.onUploaded(session);
    } catch (error) {
      this.progress.hidden = true;
      this.status.textContent = "";
      this.showError(`Upload failed. ${describeError(error)}`);
    } finally {
      this.uploading = false;
      this.abortUpload = null;
      this.dropZone.classList.remove("busy");
      this.input.value = "";
    }
  }

  private showError(message: string): void {
    this.error.textContent = message;
    this.error.hidden = false;
    this.options.onError(message);
  }

  private hideError(): void {
    this.error.textContent = "";
    this.error.hidden = true;
    this.options.onError(null);
  }

  private renderRecent(): void {
    const entries = this.options.recent.list();
    this.recentList.replaceChildren(
      ...entries.map((s) => {
        const open = h("a", { href: `?session=${encodeURIComponent(s.id)}`, class: "recent-open", "data-session": s.id, text: s.filename || s.id });
        open.addEventListener("click", (event) => {
          event.preventDefault();
          this.options.onOpen(s.id);
        });
        const when = h("span", { class: "recent-when", text: new Date(s.openedAt).toLocaleString() });
        return h("li", { "data-session": s.id }, open, " ", when);
      }),
    );
    if (entries.length === 0) this.recentList.append(h("li", { class: "muted", text: "None yet." }));
  }
}
