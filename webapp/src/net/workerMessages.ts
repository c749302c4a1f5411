/** Messages between the main thread and the depth socket worker. */
import type { ClientMessage, DepthFrameHeader, ServerMessage, VideoFrameHeader } from "./protocol";

export type SocketState = "connecting" | "open" | "closed";

export type ToWorker =
  | { kind: "connect"; url: string; debug: boolean }
  | { kind: "send"; message: ClientMessage }
  /** A binary message (a live browser source's video frame); the buffer is transferred. */
  | { kind: "send_binary"; buffer: ArrayBuffer }
  | { kind: "close" };

export interface StateReport {
  kind: "state";
  state: SocketState;
  /** Connection attempts made after the first one (reconnects). */
  reconnects: number;
  /** The close code and reason, when closed. */
  code: number | null;
  reason: string;
  /** When another attempt is scheduled, in how many ms; null when none will be made. */
  retryInMs: number | null;
}

/** A decoded depth frame; `buffer` is transferred, samples start at `byteOffset`. */
export interface FrameReport {
  kind: "frame";
  header: DepthFrameHeader;
  buffer: ArrayBuffer;
  byteOffset: number;
}

/**
 * A live session's video frame: its header and the decoded picture (transferred), or null
 * and why when the JPEG could not be decoded (the header still answers a sent frame).
 */
export interface PictureReport {
  kind: "picture";
  header: VideoFrameHeader;
  bitmap: ImageBitmap | null;
  error: string | null;
}

export type FromWorker =
  | StateReport
  | FrameReport
  | PictureReport
  | { kind: "message"; message: ServerMessage }
  | { kind: "bad_frame"; error: string }
  | { kind: "bad_message"; error: string };
