/**
 * The depth socket's loop, independent of where it runs (the worker wires it to `self`):
 * connect, parse binary frames (inflating compressed depth, decoding a live session's JPEG
 * pictures), forward JSON messages, and reconnect with backoff after abnormal closes.
 */
import { ReconnectPolicy } from "./backoff";
import { decodeDepthFrame, DepthFrameError } from "./header";
import { CloseCode, type ClientMessage, type ServerMessage } from "./protocol";
import { isVideoFrame, parseVideoHeader, videoPayload, VideoFrameError } from "./videoFrame";
import type { FromWorker, SocketState } from "./workerMessages";

/** The part of WebSocket the loop uses (a fake in tests). */
export interface SocketLike {
  binaryType: BinaryType;
  readonly readyState: number;
  onopen: ((ev: Event) => unknown) | null;
  onmessage: ((ev: MessageEvent) => unknown) | null;
  onclose: ((ev: CloseEvent) => unknown) | null;
  onerror: ((ev: Event) => unknown) | null;
  send(data: string | ArrayBuffer): void;
  close(code?: number, reason?: string): void;
}

export interface SocketLoopDeps {
  createSocket: (url: string) => SocketLike;
  post: (message: FromWorker, transfer: Transferable[]) => void;
  setTimer: (fn: () => void, ms: number) => unknown;
  clearTimer: (handle: unknown) => void;
  policy?: ReconnectPolicy;
  log?: (...args: unknown[]) => void;
  /** Decode a live session's JPEG (createImageBitmap in the worker); without it, none is. */
  decodePicture?: (jpeg: Blob) => Promise<ImageBitmap>;
}

const OPEN = 1;
/** What browsers report for a connection lost without a close frame (never sent on the wire). */
const ABNORMAL_CLOSURE = 1006;
const CLIENT_LEFT = "client left";

export class SocketLoop {
  private socket: SocketLike | null = null;
  private url = "";
  private stopped = false;
  private timer: unknown = null;
  private reconnects = 0;
  private readonly policy: ReconnectPolicy;

  constructor(private readonly deps: SocketLoopDeps) {
    this.policy = deps.policy ?? new ReconnectPolicy();
  }

  connect(url: string): void {
    this.url = url;
    this.stopped = false;
    this.open();
  }

  send(message: ClientMessage): boolean {
    if (this.socket === null || this.socket.readyState !== OPEN) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  /** Send a binary message (a live browser source's video frame); false when not open. */
  sendBinary(buffer: ArrayBuffer): boolean {
    if (this.socket === null || this.socket.readyState !== OPEN) return false;
    this.socket.send(buffer);
    return true;
  }

  close(): void {
    this.stopped = true;
    if (this.timer !== null) this.deps.clearTimer(this.timer);
    this.timer = null;
    const socket = this.socket;
    this.socket = null;
    if (socket !== null) {
      detach(socket);
      socket.close(CloseCode.NORMAL, CLIENT_LEFT);
    }
    this.report("closed", CloseCode.NORMAL, CLIENT_LEFT, null);
  }

  private open(): void {
    this.timer = null;
    this.report("connecting", null, "", null);
    let socket: SocketLike;
    try {
      socket = this.deps.createSocket(this.url);
    } catch (error) {
      this.closed(ABNORMAL_CLOSURE, String(error));
      return;
    }
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    socket.onopen = () => this.report("open", null, "", null);
    socket.onmessage = (event: MessageEvent) => this.receive(event.data as unknown);
    socket.onerror = () => this.deps.log?.("depth socket error");
    socket.onclose = (event: CloseEvent) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.closed(event.code, event.reason);
    };
  }

  private closed(code: number, reason: string): void {
    if (this.stopped) return;
    if (!this.policy.shouldReconnect(code)) {
      this.report("closed", code, reason, null);
      return;
    }
    const delay = this.policy.nextDelay();
    this.report("closed", code, reason, delay);
    this.timer = this.deps.setTimer(() => {
      if (this.stopped) return;
      this.reconnects += 1;
      this.open();
    }, delay);
  }

  private receive(data: unknown): void {
    if (typeof data === "string") {
      let message: ServerMessage;
      try {
        message = JSON.parse(data) as ServerMessage;
      } catch {
        this.deps.post({ kind: "bad_message", error: `not JSON: ${data.slice(0, 80)}` }, []);
        return;
      }
      if (message.type === "hello") this.policy.succeeded();
      this.deps.post({ kind: "message", message }, []);
      return;
    }
    if (data instanceof ArrayBuffer) {
      if (isVideoFrame(data)) void this.picture(data);
      else void this.frame(data);
    }
  }

  private async picture(buffer: ArrayBuffer): Promise<void> {
    let header;
    try {
      header = parseVideoHeader(buffer);
    } catch (error) {
      const text = error instanceof VideoFrameError ? error.message : String(error);
      this.deps.post({ kind: "bad_frame", error: text }, []);
      return;
    }
    const decode = this.deps.decodePicture;
    if (decode === undefined) {
      this.deps.post({ kind: "picture", header, bitmap: null, error: "no picture decoder here" }, []);
      return;
    }
    try {
      const bitmap = await decode(new Blob([videoPayload(buffer, header)], { type: "image/jpeg" }));
      this.deps.post({ kind: "picture", header, bitmap, error: null }, [bitmap]);
    } catch (error) {
      this.deps.post({ kind: "picture", header, bitmap: null, error: `JPEG not decoded: ${String(error)}` }, []);
    }
  }

  private async frame(buffer: ArrayBuffer): Promise<void> {
    try {
      const { header, samples } = await decodeDepthFrame(buffer);
      const out = samples.buffer as ArrayBuffer;
      this.deps.post({ kind: "frame", header, buffer: out, byteOffset: samples.byteOffset }, [out]);
    } catch (error) {
      const text = error instanceof DepthFrameError ? error.message : String(error);
      this.deps.post({ kind: "bad_frame", error: text }, []);
    }
  }

  private report(state: SocketState, code: number | null, reason: string, retryInMs: number | null): void {
    this.deps.post({ kind: "state", state, reconnects: this.reconnects, code, reason, retryInMs }, []);
  }
}

function detach(socket: SocketLike): void {
  socket.onopen = null;
  socket.onmessage = null;
  socket.onclose = null;
  socket.onerror = null;
}
