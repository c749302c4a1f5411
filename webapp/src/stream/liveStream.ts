/**
 * One live session's stream (docs/PROTOCOL.md, "Live sessions"): the socket (the same worker
 * as a file's depth), each picture paired with its depth by frame index, the source's state,
 * the server's clock, and the latency from capture to display. A page that captures the
 * source attaches a sender: its frames go out on this socket, and the answers come back here.
 *
 * Below the UI: it knows no page, widget or URL.
 */
import { depthFrameFrom, type DepthFrame } from "../depth/depthFrame";
import { LivePairs, type LivePair } from "../depth/livePairs";
import { offeredEncodings, type EncodingChoice } from "../net/depthCodec";
import { DepthSocket, streamUrl } from "../net/depthSocket";
import {
  CloseCode,
  DropReason,
  type DepthFrameHeader,
  type Hello,
  type LiveFormat,
  type LiveInfo,
  type LiveSessionOut,
  type ServerMessage,
  type Stats,
  type VideoFrameHeader,
} from "../net/protocol";
import type { PictureReport, StateReport } from "../net/workerMessages";
import { noteLiveState, type LiveCounters } from "./liveCounters";
import { captureLatencyMs, epochNowMs, LatencyWindow, ServerClock } from "./liveClock";
import type { StreamCounters } from "./streamCounters";
import { fatalClose } from "./closeReport";

/** Pings often enough that the server's clock is known within a few seconds of opening. */
export const LIVE_PING_INTERVAL_MS = 1000;

export interface LivePicture {
  header: VideoFrameHeader;
  bitmap: ImageBitmap;
}

export type LiveFrame = LivePair<LivePicture, DepthFrame>;

/** The capturing side (stream/captureSender.ts), told of answers and new connections. */
export interface LiveSender {
  /** The server answered frame `index`: a `dropped` named it. */
  answer(index: number): void;
  /** Frame `index`'s picture came back: it and every older frame are done. */
  echo(index: number): void;
  /** A new connection opened: what the old one left unanswered is lost; send afresh. */
  connected(): void;
  /** The server's pass time, ms (`stats.timings.inference_ms`; 0 when it computed nothing). */
  notePass(inferenceMs: number): void;
}

export interface LiveStreamOptions {
  downsample: number;
  encoding: EncodingChoice;
  debug: boolean;
}

export interface LiveStreamEvents {
  onHello(hello: Hello): void;
  /** A picture and its depth, ready to show (the bitmap is the receiver's to close). */
  onFrame(frame: LiveFrame): void;
  /** The source changed size: frames from now on have this geometry. */
  onFormat(format: LiveFormat): void;
  /** The source's state changed (reconnecting, live again, ended). */
  onStatus(live: LiveInfo): void;
  /** The session is over (its source ended): nothing more will come. */
  onEnded(message: string): void;
  /** The stream cannot go on (session gone, protocol mismatch, not paired). */
  onFatal(message: string): void;
  onNotice(message: string | null): void;
  onPeers?(count: number): void;
}

export class LiveStream {
  hello: Hello | null = null;
  lastStats: Stats | null = null;
  retryInMs: number | null = null;
  private readonly socket: DepthSocket;
  private readonly pairs = new LivePairs<LivePicture, DepthFrame>((p) => p.bitmap.close());
  private readonly clock = new ServerClock();
  private readonly latency = new LatencyWindow();
  private sender: LiveSender | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private disposed = false;

  constructor(
    private readonly session: LiveSessionOut,
    private readonly options: LiveStreamOptions,
    private readonly counters: StreamCounters,
    readonly live: LiveCounters,
    private readonly events: LiveStreamEvents,
  ) {
    live.kind = session.live.kind;
    noteLiveState(live, session.live.state);
    this.socket = new DepthSocket({
      onState: (report) => this.handleState(report),
      onMessage: (message) => this.handleMessage(message),
      onFrame: (header, samples) => this.handleDepth(header, samples),
      onPicture: (report) => this.handlePicture(report),
      onBadData: (error) => {
        this.counters.badFrames += 1;
        this.log("bad data", error);
      },
    });
  }

  get open(): boolean {
    return this.socket.state === "open" && !this.disposed;
  }

  start(): void {
    const url = streamUrl(location.href, this.session.stream_url, this.options.downsample, offeredEncodings(this.options.encoding));
    this.socket.connect(url, this.options.debug);
    this.counters.socket = "connecting";
    this.pingTimer = setInterval(() => this.ping(), LIVE_PING_INTERVAL_MS);
  }

  /** This page captures the source: its frames go out here, answers go back to it. */
  attachSender(sender: LiveSender): void {
    this.sender = sender;
    this.live.sender = true;
    if (this.open) sender.connected();
  }

  /** Send one captured video frame (transferred); false when the socket is not open. */
  sendFrame(buffer: ArrayBuffer): boolean {
    return this.open && this.socket.sendBinary(buffer);
  }

  /** A pair was drawn at `shownEpochMs`: its latency from capture, the fps of pairs shown. */
  noteShown(frame: LiveFrame, shownEpochMs: number): void {
    const nowMs = performance.now();
    const offset = this.capturerOffsetMs();
    this.live.pairsShown += 1;
    this.live.lastShownIndex = frame.index;
    this.live.stabilized = frame.depth.stabilized;
    this.latency.add(nowMs, captureLatencyMs(frame.picture.header.capture_us, shownEpochMs, offset ?? 0));
    this.live.latencySynced = offset !== null;
    this.live.latencyMs = this.latency.last;
    this.refreshRates(nowMs);
    this.counters.displayedFrames = this.live.pairsShown;
    this.counters.displayedWithOwnDepth = this.live.pairsShown; // a pair is a picture with its own depth
    this.counters.lastDisplayedIndex = frame.index;
    this.counters.lastAppliedDepthIndex = frame.index;
  }

  /** Keep the windowed figures current while nothing new is shown (the HUD's tick). */
  refreshRates(nowMs = performance.now()): void {
    this.live.latencyP50Ms = this.latency.p50(nowMs);
    this.live.depthFps = this.latency.rate(nowMs);
    this.counters.depthFps = this.live.depthFps;
  }

  dispose(): void {
    this.disposed = true;
    if (this.pingTimer !== null) clearInterval(this.pingTimer);
    this.socket.dispose();
    this.pairs.clear();
  }

  /** What to add to a capture time to put it on this browser's clock (null: unknown). */
  private capturerOffsetMs(): number | null {
    if (this.live.kind === "url") {
      const server = this.clock.offsetMs;
      return server === null ? null : -server; // captured on the server's clock
    }
    return this.live.sender ? 0 : null; // another device's camera: its clock is not known here
  }

  private handleState(report: StateReport): void {
    this.counters.socket = report.state;
    this.counters.reconnects = report.reconnects;
    this.retryInMs = report.retryInMs;
    this.log("socket", report.state, report.code ?? "", report.reason, report.retryInMs ?? "");
    if (report.state === "open") {
      this.pairs.clear();
      this.ping();
      this.events.onNotice(null);
      this.sender?.connected();
      return;
    }
    if (report.state !== "closed" || report.code === null || this.disposed) return;
    if (report.code === CloseCode.SOURCE_ENDED) {
      this.end(report.reason || "The live source ended.");
      return;
    }
    const fatal = fatalClose(report.code, report.reason,
      "This live session no longer exists on the server (it ended, was deleted or expired).");
    if (fatal !== null) {
      this.events.onFatal(fatal);
    } else if (report.retryInMs !== null) {
      this.events.onNotice(`Live stream lost (code ${report.code}); reconnecting in ${(report.retryInMs / 1000).toFixed(1)} s…`);
    }
  }

  private handleMessage(message: ServerMessage): void {
    switch (message.type) {
      case "hello":
        this.hello = message;
        if (message.live !== null) this.status(message.live);
        this.events.onHello(message);
        break;
      case "stats":
        this.lastStats = message;
        this.sender?.notePass(message.timings.inference_ms);
        break;
      case "dropped":
        this.log("dropped", message.reason, message.indices.length);
        if (message.reason === DropReason.SUPERSEDED) this.live.superseded += message.indices.length;
        if (message.reason === DropReason.OVERFLOW) this.counters.overflow += message.indices.length;
        else this.counters.dropped += message.indices.length;
        for (const index of message.indices) this.sender?.answer(index);
        break;
      case "pong":
        this.counters.latencyMs = Math.max(0, performance.now() - message.t);
        this.clock.addPong(performance.timeOrigin + message.t, epochNowMs(), message.server_time_s);
        this.live.clockOffsetMs = this.clock.offsetMs;
        break;
      case "error":
        this.log("server error", message.code, message.message);
        if (message.code === "model_not_ready" || message.code === "bad_frame") this.events.onNotice(message.message);
        break;
      case "live_status":
        this.status(message.live);
        break;
      case "live_format":
        this.live.formats += 1;
        this.events.onFormat(message);
        break;
      case "peers":
        this.events.onPeers?.(message.count);
        break;
      case "control":
        break; // a live session has nothing to play, pause or seek
    }
  }

  private status(live: LiveInfo): void {
    this.live.kind = live.kind;
    noteLiveState(this.live, live.state);
    this.live.error = live.error;
    this.events.onStatus(live);
    if (live.state === "ended") this.end(live.error ?? "The live source ended.");
  }

  private end(message: string): void {
    if (this.live.ended) return;
    this.live.ended = true;
    noteLiveState(this.live, "ended");
    this.socket.close(); // over: no reconnect
    this.events.onEnded(message);
  }

  private handlePicture(report: PictureReport): void {
    if (this.disposed) {
      report.bitmap?.close();
      return;
    }
    this.live.picturesReceived += 1;
    this.sender?.echo(report.header.frame_index);
    if (report.bitmap === null) {
      this.counters.badFrames += 1;
      this.log("picture", report.header.frame_index, report.error);
      return;
    }
    this.deliver(this.pairs.addPicture(report.header.frame_index, { header: report.header, bitmap: report.bitmap }));
  }

  private handleDepth(header: DepthFrameHeader, samples: Uint16Array): void {
    if (this.disposed) return;
    this.live.depthReceived += 1;
    this.counters.framesReceived += 1;
    this.counters.payloadBytes += header.payload_bytes;
    this.counters.lastEncoding = header.encoding;
    this.deliver(this.pairs.addDepth(header.frame_index, depthFrameFrom(header, samples)));
  }

  private deliver(pair: LiveFrame | null): void {
    this.live.unpaired = this.pairs.unpaired;
    if (pair !== null) this.events.onFrame(pair);
  }

  private ping(): void {
    if (this.open) this.socket.send({ type: "ping", t: performance.now() });
  }

  private log(...args: unknown[]): void {
    if (this.options.debug) console.debug("[depthcast live]", ...args);
  }
}
