/**
 * Main-thread side of the depth stream: starts the worker, forwards control messages to it,
 * and hands decoded frames, server messages and state changes to callbacks.
 */
import { PROTOCOL_VERSION, type ClientMessage, type DepthFrameHeader, type ServerMessage } from "./protocol";
import type { FromWorker, PictureReport, SocketState, StateReport, ToWorker } from "./workerMessages";

export interface DepthSocketHandlers {
  onState(report: StateReport): void;
  onMessage(message: ServerMessage): void;
  onFrame(header: DepthFrameHeader, samples: Uint16Array): void;
  onBadData(error: string): void;
  /** A live session's picture (its bitmap, if decoded, is now the handler's to close). */
  onPicture?(report: PictureReport): void;
}

/**
 * ws:// or wss:// URL of a session's stream (`session.stream_url`), resolved against the page;
 * `encodings`: the depth encodings this client reads, best first (depthCodec.offeredEncodings).
 */
export function streamUrl(pageHref: string, streamPath: string, downsample: number, encodings?: string): string {
  const url = new URL(streamPath, pageHref);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.searchParams.set("v", String(PROTOCOL_VERSION));
  url.searchParams.set("downsample", String(downsample));
  if (encodings !== undefined) url.searchParams.set("encoding", encodings);
  return url.toString();
}

export class DepthSocket {
  private readonly worker: Worker;
  state: SocketState = "closed";

  constructor(private readonly handlers: DepthSocketHandlers) {
    this.worker = new Worker(new URL("./depthSocket.worker.ts", import.meta.url), {
      type: "module",
      name: "depth-socket",
    });
    this.worker.addEventListener("message", (event: MessageEvent<FromWorker>) => this.dispatch(event.data));
    this.worker.addEventListener("error", (event) => handlers.onBadData(`worker: ${event.message}`));
  }

  connect(url: string, debug = false): void {
    this.post({ kind: "connect", url, debug });
  }

  send(message: ClientMessage): void {
    if (this.state === "open") this.post({ kind: "send", message });
  }

  /** Send a binary message (transferred: `buffer` is unusable afterwards); false when not open. */
  sendBinary(buffer: ArrayBuffer): boolean {
    if (this.state !== "open") return false;
    this.worker.postMessage({ kind: "send_binary", buffer } satisfies ToWorker, [buffer]);
    return true;
  }

  close(): void {
    this.post({ kind: "close" });
  }

  dispose(): void {
    this.close();
    // give the worker a moment to send the close frame
    setTimeout(() => this.worker.terminate(), 200);
  }

  private post(command: ToWorker): void {
    this.worker.postMessage(command);
  }

  private dispatch(data: FromWorker): void {
    switch (data.kind) {
      case "state":
        this.state = data.state;
        this.handlers.onState(data);
        break;
      case "message":
        this.handlers.onMessage(data.message);
        break;
      case "frame": {
        const count = data.header.width * data.header.height;
        this.handlers.onFrame(data.header, new Uint16Array(data.buffer, data.byteOffset, count));
        break;
      }
      case "picture":
        if (this.handlers.onPicture) this.handlers.onPicture(data);
        else data.bitmap?.close();
        break;
      case "bad_frame":
      case "bad_message":
        this.handlers.onBadData(data.error);
        break;
    }
  }
}
