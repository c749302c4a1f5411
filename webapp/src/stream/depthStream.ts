/**
 * One session's depth: the socket (in its worker), the buffer of frames, the playhead
 * reports, re-requests, pings, and the counters behind the HUD and window.__depthcast.
 *
 * Below the UI: it knows the <video> element (the clock) but no page, widget or URL.
 */
import { DepthBuffer, type Selection } from "../depth/depthBuffer";
import { depthFrameFrom, type DepthFrame } from "../depth/depthFrame";
import type { FrameTimes } from "../depth/frameTimes";
import { RerequestPlanner } from "../depth/rerequest";
import type { SessionInfo } from "../net/api";
import { offeredEncodings, type EncodingChoice } from "../net/depthCodec";
import { DepthSocket, streamUrl } from "../net/depthSocket";
import {
  DropReason,
  type ClientMessage,
  type Control,
  type DepthFrameHeader,
  type Dropped,
  type Hello,
  type ServerMessage,
  type Stats,
  type WireEncoding,
} from "../net/protocol";
import type { StateReport } from "../net/workerMessages";
import { PlayheadReporter } from "./playheadReporter";
import type { StreamCounters } from "./streamCounters";
import { fatalClose } from "./closeReport";

export const TICK_MS = 250;
export const PING_INTERVAL_MS = 2000;
const FPS_WINDOW_MS = 2000;

/** What the stream asks of the server (the viewer's URL parameters of the same names). */
export interface StreamOptions {
  /** Seconds of depth requested ahead of the playhead. */
  ahead: number;
  maxInflight: number;
  downsample: number;
  /** The most look-ahead (s) `setWindow` may ask for (sizes the buffer); `ahead` when absent. */
  maxAhead?: number;
  /** Depth payloads: one encoding, or `auto` (the best the server offers: `predicted`). */
  encoding: EncodingChoice;
  /** Log protocol events to the console. */
  debug: boolean;
}

export type { StreamCounters } from "./streamCounters";

export interface DepthStreamEvents {
  /** Depth for the frame on screen arrived after it was displayed: apply it now. */
  onLateDepth(frame: DepthFrame): void;
  onHello(hello: Hello): void;
  /** The stream cannot go on (session gone, protocol mismatch). */
  onFatal(message: string): void;
  /** A non-fatal problem from the server (e.g. model_not_ready), or null when cleared. */
  onNotice(message: string | null): void;
  /** Remote control from another device of this session. */
  onControl?(message: Control): void;
  /** How many other devices have this session open (on connect and on change). */
  onPeers?(count: number): void;
}

export class DepthStream {
  readonly buffer: DepthBuffer;
  readonly planner: RerequestPlanner;
  hello: Hello | null = null;
  lastStats: Stats | null = null;
  latencyMs: number | null = null;
  retryInMs: number | null = null;
  private readonly socket: DepthSocket;
  private readonly reporter: PlayheadReporter;
  private readonly arrivals: number[] = [];
  private tickTimer: ReturnType<typeof setInterval> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private opened = 0;
  private encoding: WireEncoding | null = null; // set by setEncoding; else the URL's offer holds
  private disposed = false;

  constructor(
    private readonly session: SessionInfo,
    readonly times: FrameTimes,
    private options: StreamOptions,
    video: HTMLVideoElement,
    private readonly counters: StreamCounters,
    private readonly events: DepthStreamEvents,
  ) {
    const aheadFrames = times.framesIn(Math.max(options.ahead, options.maxAhead ?? 0) * 2);
    const keepBehind = 8;
    this.buffer = new DepthBuffer(times, {
      maxFrames: Math.max(64, aheadFrames + keepBehind + 32),
      keepBehind,
    });
    this.planner = new RerequestPlanner({ behindFrames: keepBehind, aheadFrames });
    this.socket = new DepthSocket({
      onState: (report) => this.handleState(report),
      onMessage: (message) => this.handleMessage(message),
      onFrame: (header, samples) => this.handleFrame(header, samples),
      onBadData: (error) => {
        this.counters.badFrames += 1;
        this.log("bad data", error);
      },
    });
    this.reporter = new PlayheadReporter(
      video,
      times,
      { sendPlayhead: (m) => this.send(m), sendSeek: (m) => this.send(m) },
      (timeS) => this.handleSeek(timeS),
    );
  }

  start(): void {
    this.reporter.start();
    const url = streamUrl(location.href, this.session.stream_url, this.options.downsample, offeredEncodings(this.options.encoding));
    this.socket.connect(url, this.options.debug);
    this.counters.socket = "connecting";
    this.tickTimer = setInterval(() => this.tick(), TICK_MS);
    this.pingTimer = setInterval(() => this.ping(), PING_INTERVAL_MS);
  }

  /** A video frame was presented (rVFC): choose its depth and count the display. */
  onVideoFrame(mediaTime: number): Selection {
    const selection = this.buffer.select(mediaTime);
    if (!selection.own) this.planner.noteMissed(selection.index, performance.now());
    this.counters.displayedFrames = this.buffer.displayed;
    this.counters.displayedWithOwnDepth = this.buffer.withOwnDepth;
    this.counters.lastDisplayedIndex = selection.index;
    if (selection.frame) this.counters.lastAppliedDepthIndex = selection.frame.index;
    this.counters.bufferAheadMs = this.buffer.aheadMs();
    return selection;
  }

  get depthFps(): number {
    const now = performance.now();
    while (this.arrivals.length > 0 && now - (this.arrivals[0] as number) > FPS_WINDOW_MS) this.arrivals.shift();
    return (this.arrivals.length * 1000) / FPS_WINDOW_MS;
  }

  dispose(): void {
    this.disposed = true;
    if (this.tickTimer !== null) clearInterval(this.tickTimer);
    if (this.pingTimer !== null) clearInterval(this.pingTimer);
    this.reporter.dispose();
    this.socket.dispose();
    this.buffer.clear();
  }

  /** Ask for another look-ahead, in-flight limit and downsample (adaptive quality); kept across reconnects. */
  setWindow(next: Pick<StreamOptions, "ahead" | "maxInflight" | "downsample">): void {
    this.options = { ...this.options, ...next };
    if (this.socket.state === "open") this.sendWindow();
  }

  /** Ask for depth payloads in `encoding` from now on (adaptive quality's switch; frames on
   * their way keep theirs, each frame's header says its own). Kept across reconnects. */
  setEncoding(encoding: WireEncoding): void {
    this.encoding = encoding;
    if (this.socket.state === "open") this.sendWindow();
  }

  /** Send a remote-control message to the other devices of this session. */
  sendControl(message: Control): void {
    this.send(message);
  }

  private send(message: ClientMessage): void {
    if (this.disposed) return;
    const chatty = message.type === "playhead" || message.type === "ping" || (message.type === "control" && message.action === "state");
    if (this.options.debug && !chatty) this.log("send", message);
    this.socket.send(message);
  }

  private handleState(report: StateReport): void {
    this.counters.socket = report.state;
    this.counters.reconnects = report.reconnects;
    this.retryInMs = report.retryInMs;
    this.log("socket", report.state, report.code ?? "", report.reason, report.retryInMs ?? "");
    if (report.state === "open") {
      this.opened += 1;
      if (this.opened > 1) this.planner.reset(); // a new server stream has sent nothing yet
      this.sendWindow();
      this.send(this.reporter.playhead());
      this.ping();
      this.events.onNotice(null);
      return;
    }
    if (report.state !== "closed" || report.code === null || this.disposed) return;
    const fatal = fatalClose(report.code, report.reason,
      "This session no longer exists on the server (deleted or expired). Upload the video again.");
    if (fatal !== null) {
      this.events.onFatal(fatal);
    } else if (report.retryInMs !== null) {
      this.events.onNotice(`Depth stream lost (code ${report.code}); reconnecting in ${(report.retryInMs / 1000).toFixed(1)} s…`);
    }
  }

  private handleMessage(message: ServerMessage): void {
    switch (message.type) {
      case "hello":
        this.hello = message;
        this.events.onHello(message);
        break;
      case "stats":
        this.lastStats = message;
        break;
      case "dropped":
        this.handleDropped(message);
        break;
      case "pong":
        this.latencyMs = Math.max(0, performance.now() - message.t);
        this.counters.latencyMs = this.latencyMs;
        break;
      case "error":
        this.log("server error", message.code, message.message);
        if (message.code === "model_not_ready") this.events.onNotice(message.message);
        break;
      case "control":
        this.events.onControl?.(message);
        break;
      case "peers":
        this.events.onPeers?.(message.count);
        break;
    }
  }

  private handleDropped(message: Dropped): void {
    this.planner.noteDropped(message.indices, message.reason, performance.now());
    const count = message.indices.length;
    if (message.reason === DropReason.CANCELLED) this.counters.cancelled += count;
    else if (message.reason === DropReason.OVERFLOW) this.counters.overflow += count;
    else this.counters.dropped += count;
    this.log("dropped", message.reason, count);
  }

  private handleFrame(header: DepthFrameHeader, samples: Uint16Array): void {
    if (this.disposed) return;
    const frame = depthFrameFrom(header, samples);
    this.buffer.put(frame);
    this.planner.noteReceived(frame.index);
    this.arrivals.push(performance.now());
    this.counters.framesReceived += 1;
    this.counters.payloadBytes += header.payload_bytes;
    this.counters.lastEncoding = header.encoding;
    const late = this.buffer.refresh();
    if (late !== null) {
      this.counters.lastAppliedDepthIndex = late.index;
      this.events.onLateDepth(late);
    }
    this.counters.bufferAheadMs = this.buffer.aheadMs();
  }

  private handleSeek(timeS: number): void {
    const index = this.times.indexAt(timeS);
    this.buffer.prune(index, this.times.framesIn(this.options.ahead * 2));
    this.planner.reset();
  }

  private tick(): void {
    this.counters.depthFps = this.depthFps;
    this.counters.bufferAheadMs = this.buffer.aheadMs();
    if (this.socket.state !== "open" || this.buffer.lastDisplayedIndex < 0) return;
    const due = this.planner.plan(performance.now(), this.buffer.lastDisplayedIndex, (i) => this.buffer.has(i));
    if (due.length > 0) {
      this.send({ type: "request_frames", indices: due });
      this.counters.rerequested = this.planner.total;
    }
  }

  private sendWindow(): void {
    const o = this.options;
    const encoding = this.encoding === null ? {} : { encoding: this.encoding };
    this.send({ type: "window", ahead_s: o.ahead, max_inflight: o.maxInflight, downsample: o.downsample, ...encoding });
  }

  private ping(): void {
    this.send({ type: "ping", t: performance.now() });
  }

  private log(...args: unknown[]): void {
    if (this.options.debug) console.debug("[depthcast]", ...args);
  }
}
