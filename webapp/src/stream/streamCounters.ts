/** The counters one session's depth stream keeps current (the HUD, window.__depthcast). */
import type { SocketState } from "../net/workerMessages";

/** Counters the stream keeps current (window.__depthcast holds them for tests and the HUD). */
export interface StreamCounters {
  socket: SocketState;
  reconnects: number;
  framesReceived: number;
  /** Video frames displayed (rVFC callbacks). */
  displayedFrames: number;
  /** Displayed frames whose exact depth frame was applied. */
  displayedWithOwnDepth: number;
  lastDisplayedIndex: number;
  lastAppliedDepthIndex: number;
  bufferAheadMs: number;
  /** Frames the server gave up: stale, failed, out of range. */
  dropped: number;
  /** Frames dropped because the window moved (a seek); no loss to the viewer. */
  cancelled: number;
  /** Frames computed but not queued for a slow socket; they are asked for again. */
  overflow: number;
  rerequested: number;
  depthFps: number;
  latencyMs: number | null;
  badFrames: number;
  /** Depth payload bytes received (as sent: compressed), and the last frame's header encoding. */
  payloadBytes: number;
  lastEncoding: number;
}
