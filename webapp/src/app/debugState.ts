/**
 * window.__depthcast: live state for tests and debugging (the e2e test contract).
 * Fields are plain values updated as things happen; the methods delegate to the player.
 */
import type { SocketState } from "../net/workerMessages";
import type { ViewMode } from "./params";

export interface DepthcastDebug {
  phase: "upload" | "player";
  sessionId: string | null;
  mode: ViewMode;
  socket: SocketState;
  reconnects: number;
  framesReceived: number;
  /** requestVideoFrameCallback callbacks counted. */
  displayedFrames: number;
  /** Displayed frames whose exact depth frame was applied. */
  displayedWithOwnDepth: number;
  lastDisplayedIndex: number;
  lastAppliedDepthIndex: number;
  bufferAheadMs: number;
  dropped: number;
  rerequested: number;
  xrSessionActive: boolean;
  canvas: HTMLCanvasElement | null;
  error: string | null;
  /** Extras (not part of the contract). */
  depthFps: number;
  latencyMs: number | null;
  cancelled: number;
  badFrames: number;
  setMode(mode: string): void;
  enterXR(): Promise<void>;
}

export interface DebugHandlers {
  setMode(mode: string): void;
  enterXR(): Promise<void>;
}

declare global {
  interface Window {
    __depthcast: DepthcastDebug;
  }
}

let handlers: DebugHandlers | null = null;

/** Set (or clear) what setMode/enterXR do: the player registers itself while it exists. */
export function setDebugHandlers(next: DebugHandlers | null): void {
  handlers = next;
}

export function resetPlaybackCounters(state: DepthcastDebug): void {
  state.socket = "closed";
  state.reconnects = 0;
  state.framesReceived = 0;
  state.displayedFrames = 0;
  state.displayedWithOwnDepth = 0;
  state.lastDisplayedIndex = -1;
  state.lastAppliedDepthIndex = -1;
  state.bufferAheadMs = 0;
  state.dropped = 0;
  state.rerequested = 0;
  state.xrSessionActive = false;
  state.depthFps = 0;
  state.latencyMs = null;
  state.cancelled = 0;
  state.badFrames = 0;
}

export function installDebugState(mode: ViewMode): DepthcastDebug {
  const state: DepthcastDebug = {
    phase: "upload",
    sessionId: null,
    mode,
    socket: "closed",
    reconnects: 0,
    framesReceived: 0,
    displayedFrames: 0,
    displayedWithOwnDepth: 0,
    lastDisplayedIndex: -1,
    lastAppliedDepthIndex: -1,
    bufferAheadMs: 0,
    dropped: 0,
    rerequested: 0,
    xrSessionActive: false,
    canvas: null,
    error: null,
    depthFps: 0,
    latencyMs: null,
    cancelled: 0,
    badFrames: 0,
    setMode(next: string): void {
      if (handlers === null) throw new Error("setMode: no video is open");
      handlers.setMode(next);
    },
    async enterXR(): Promise<void> {
      if (handlers === null) throw new Error("enterXR: no video is open");
      await handlers.enterXR();
    },
  };
  window.__depthcast = state;
  return state;
}
