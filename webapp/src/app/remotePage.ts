/**
 * A phone as the remote of a session (`?session=ID&remote=1`): play, pause, seek and view
 * mode for every player of the session, and another video for them to open. No 3D view and
 * no depth: the page only exchanges `control` messages over the session's socket.
 */
import { describeError, getSession, uploadVideo, type SessionInfo } from "../net/api";
import { isSessionGone } from "../net/backoff";
import { DepthSocket, streamUrl } from "../net/depthSocket";
import { NOT_PAIRED_MESSAGE } from "../net/pairing";
import { CloseCode, type Control, type ServerMessage } from "../net/protocol";
import type { StateReport } from "../net/workerMessages";
import type { DepthcastDebug } from "./debugState";
import { formatTime, h } from "./dom";
import { MODE_LABELS } from "./controls";
import { REMOTE_MODES, type RemoteMode } from "./remoteLink";
import { PlayerState, remoteStatus } from "./remoteState";

export interface RemoteCallbacks {
  /** Go on as the remote of another session (after it was uploaded and opened). */
  follow(sessionId: string): void;
  back(): void;
  /** A video this device uploaded (to remember it). */
  uploaded?(sessionId: string, filename: string): void;
  /** Sessions this device opened before, to offer (newest first). */
  recent: ReadonlyArray<{ id: string; filename: string }>;
}


export class RemotePage {
  readonly element: HTMLElement;
  private readonly socket: DepthSocket;
  private readonly player = new PlayerState();
  private readonly status: HTMLElement;
  private readonly play: HTMLButtonElement;
  private readonly seek: HTMLInputElement;
  private readonly time: HTMLElement;
  private readonly modes: HTMLButtonElement[];
  private readonly upload: HTMLElement;
  private peers = 0;
  private scrubbing = false;
  private timer: ReturnType<typeof setInterval> | null = null;

  static async open(sessionId: string, state: DepthcastDebug, callbacks: RemoteCallbacks): Promise<RemotePage> {
    return new RemotePage(await getSession(sessionId), state, callbacks);
  }

  constructor(
    readonly session: SessionInfo,
    private readonly state: DepthcastDebug,
    private readonly callbacks: RemoteCallbacks,
  ) {
    this.status = h("p", { id: "remote-status", class: "remote-status", role: "status" });
    this.play = h("button", { id: "remote-play", type: "button", class: "primary remote-big", text: "Play" });
    this.seek = h("input", { id: "remote-seek", type: "range", min: 0, max: Math.max(session.video.duration_s, 0.001), step: "any", value: 0, "aria-label": "Seek" });
    this.time = h("span", { id: "remote-time", class: "time" });
    this.modes = REMOTE_MODES.map((m) => h("button", { id: `remote-mode-${m}`, type: "button", "data-mode": m, text: MODE_LABELS[m] }));
    const back10 = h("button", { id: "remote-back", type: "button", text: "−10 s" });
    const fwd10 = h("button", { id: "remote-forward", type: "button", text: "+10 s" });
    const file = h("input", { id: "remote-file", type: "file", accept: "video/*,.mp4,.webm,.mkv,.mov" });
    const recent = h("select", { id: "remote-recent", "aria-label": "A video opened before on this device" });
    recent.append(h("option", { value: "", text: "A recent video…" }));
    for (const entry of callbacks.recent.filter((r) => r.id !== session.id)) {
      recent.append(h("option", { value: entry.id, text: entry.filename }));
    }
    recent.hidden = recent.options.length < 2;
    this.upload = h("span", { id: "remote-upload-status", class: "upload-status" });
    const back = h("a", { id: "back", href: "./", class: "back", text: "← Videos" });
    this.element = h(
      "main",
      { id: "remote-page", class: "remote-page" },
      h("header", {}, back, h("h1", { id: "filename", text: session.filename }), h("p", { class: "tagline", text: "Remote control" })),
      this.status,
      h("div", { class: "remote-row" }, back10, this.play, fwd10),
      h("div", { class: "remote-row" }, this.seek, this.time),
      h("div", { class: "remote-row remote-modes" }, ...this.modes),
      h("label", { class: "remote-row remote-open" }, h("span", { text: "Open another video: " }), file, this.upload),
      h("div", { class: "remote-row" }, recent),
    );
    this.play.addEventListener("click", () => this.send({ type: "control", action: this.player.paused(performance.now()) ? "play" : "pause" }));
    back10.addEventListener("click", () => this.seekTo(this.player.timeAt(performance.now()) - 10));
    fwd10.addEventListener("click", () => this.seekTo(this.player.timeAt(performance.now()) + 10));
    this.seek.addEventListener("pointerdown", () => (this.scrubbing = true));
    this.seek.addEventListener("change", () => {
      this.scrubbing = false;
      this.seekTo(Number(this.seek.value));
    });
    for (const button of this.modes) {
      button.addEventListener("click", () => this.send({ type: "control", action: "mode", mode: button.dataset.mode as RemoteMode }));
    }
    recent.addEventListener("change", () => {
      if (recent.value === "") return;
      this.send({ type: "control", action: "open", session_id: recent.value });
      callbacks.follow(recent.value);
    });
    file.addEventListener("change", () => {
      const chosen = file.files?.[0];
      if (chosen) void this.openAnother(chosen);
    });
    back.addEventListener("click", (event) => {
      event.preventDefault();
      callbacks.back();
    });
    this.socket = new DepthSocket({
      onState: (report) => this.handleState(report),
      onMessage: (message) => this.handleMessage(message),
      onFrame: () => undefined, // a remote asks for no depth
      onBadData: () => undefined,
    });
  }

  mount(parent: HTMLElement): void {
    parent.append(this.element);
    this.state.phase = "remote";
    this.state.sessionId = this.session.id;
    this.socket.connect(streamUrl(location.href, this.session.stream_url, 1));
    this.timer = setInterval(() => this.render(), 250);
    this.render();
  }

  dispose(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.socket.dispose();
    this.element.remove();
  }

  private seekTo(seconds: number): void {
    const timeS = Math.min(Math.max(seconds, 0), this.session.video.duration_s);
    this.send({ type: "control", action: "seek", time_s: timeS });
  }

  private send(message: Control): void {
    this.socket.send(message);
    this.state.controls += 1;
  }

  private async openAnother(file: File): Promise<void> {
    try {
      const upload = uploadVideo(file, (p) => (this.upload.textContent = `${Math.round((100 * p.loaded) / Math.max(p.total, 1))} %`));
      const session = await upload.promise;
      this.upload.textContent = "opening…";
      this.send({ type: "control", action: "open", session_id: session.id });
      this.callbacks.uploaded?.(session.id, session.filename);
      this.callbacks.follow(session.id);
    } catch (error) {
      this.upload.textContent = describeError(error);
    }
  }

  private handleState(report: StateReport): void {
    this.state.socket = report.state;
    if (report.state !== "closed" || report.code === null) return this.render();
    if (isSessionGone(report.code)) this.status.textContent = "This session no longer exists on the server.";
    else if (report.code === CloseCode.NOT_PAIRED) this.status.textContent = NOT_PAIRED_MESSAGE;
    else this.status.textContent = `Connection lost (code ${report.code}); reconnecting…`;
  }

  private handleMessage(message: ServerMessage): void {
    if (message.type === "peers") {
      this.peers = message.count;
      this.state.peers = message.count;
    } else if (message.type === "control") {
      this.player.update(message, performance.now());
    }
    this.render();
  }

  private render(): void {
    const now = performance.now();
    if (this.state.socket === "open") this.status.textContent = remoteStatus(this.peers, this.player.known);
    const paused = this.player.paused(now);
    this.play.textContent = paused ? "Play" : "Pause";
    const timeS = this.player.timeAt(now);
    if (!this.scrubbing) this.seek.value = String(timeS);
    this.time.textContent = `${formatTime(timeS)} / ${formatTime(this.session.video.duration_s)}`;
    for (const button of this.modes) button.classList.toggle("active", button.dataset.mode === this.player.mode);
  }
}
