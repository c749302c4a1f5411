/**
 * window.__depthcast: live state for tests and debugging (the e2e test contract).
 * Fields are plain values updated as things happen; the methods delegate to the player.
 */
import type { ExportJobInfo } from "../net/protocol";
import type { StereoReport } from "../render/framing";
import type { SceneJobInfo } from "../net/scenes";
import type { StreamCounters } from "../stream/depthStream";
import type { LiveCounters } from "../stream/liveCounters";
import type { QualityChange, QualityLevel, QualitySettings } from "../stream/qualityController";
import type { XrEmulator } from "../xr/emulate";
import type { ViewMode } from "./params";

/** The stream's counters (socket, frames, drops...) plus what the page and the view add. */
export interface DepthcastDebug extends StreamCounters {
  phase: "upload" | "player" | "remote" | "scene";
  sessionId: string | null;
  /** Other devices with this session open (remote control). */
  peers: number;
  /** Remote-control messages this page obeyed (a player) or sent (a remote). */
  controls: number;
  /** Written only by the view-mode controller (app/viewMode.ts) while a player exists. */
  mode: ViewMode;
  xrSessionActive: boolean;
  /** Adaptive quality (app/adaptiveQuality.ts): the level, auto or fixed, why, every change. */
  quality: QualityLevel;
  qualityAuto: boolean;
  qualityReason: string;
  /** "balanced (auto): depth 9 fps < video 24 fps", as the HUD shows it. */
  qualityLabel: string;
  qualityHistory: QualityChange[];
  qualitySettings: QualitySettings | null;
  /** The playable copy (app/playbackNotice.ts): its state, progress, every state seen, and
   * which file the <video> plays. */
  copyState: "original" | "converting" | "ready" | "failed";
  copyProgress: number;
  copyStates: string[];
  videoSource: "original" | "copy";
  /** The Export panel's jobs as last heard from the server (app/exportJobs.ts), newest last. */
  exportJobs: ExportJobInfo[];
  /** The Scene panel's jobs as last heard from the server (app/scenePanel.ts), newest last. */
  sceneJobs: SceneJobInfo[];
  /** The scene view (app/scenePage.ts): what it has drawn of its job; null elsewhere. */
  scene: SceneDebug | null;
  /** A live session's viewer (app/livePlayer.ts): pairs shown, latency, frames sent; null otherwise. */
  live: LiveCounters | null;
  /** Stereo comfort as last rendered and the headset's scale (render/framing.ts); null: no player. */
  stereo: StereoReport | null;
  /** ?xr=emulate: the emulated headset (xr/emulate.ts); null otherwise. */
  xrEmulator: XrEmulator | null;
  canvas: HTMLCanvasElement | null;
  error: string | null;
  setMode(mode: string): void;
  enterXR(): Promise<void>;
}

/** What the scene view shows of its job. */
export interface SceneDebug {
  jobId: string;
  state: SceneJobInfo["state"];
  metric: boolean;
  /** The job's progress as last reported. */
  chunksDone: number;
  chunksTotal: number;
  framesDone: number;
  /** Chunks fetched and drawn, and each one's point count. */
  chunksLoaded: number;
  chunkPoints: number[];
  /** Points in the three.js scene (the Points object's draw range). */
  points: number;
  /** Vertices of the camera path's line: one a frame whose pose is known. */
  cameraVertices: number;
  /** The scale the headset shows the scene at (1: life-size). */
  vrScale: number;
  /** The last failed fetch, in words (null once one works). */
  problem: string | null;
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

function freshCounters(): StreamCounters {
  return {
    socket: "closed",
    reconnects: 0,
    framesReceived: 0,
    displayedFrames: 0,
    displayedWithOwnDepth: 0,
    lastDisplayedIndex: -1,
    lastAppliedDepthIndex: -1,
    bufferAheadMs: 0,
    dropped: 0,
    cancelled: 0,
    overflow: 0,
    rerequested: 0,
    depthFps: 0,
    latencyMs: null,
    badFrames: 0,
    payloadBytes: 0,
    lastEncoding: 0,
  };
}

export function resetPlaybackCounters(state: DepthcastDebug): void {
  Object.assign(state, freshCounters());
  state.xrSessionActive = false;
  state.peers = 0;
  state.controls = 0;
  state.exportJobs = [];
  state.sceneJobs = [];
  state.scene = null;
  state.live = null;
}

export function installDebugState(mode: ViewMode): DepthcastDebug {
  const state: DepthcastDebug = {
    ...freshCounters(),
    phase: "upload",
    sessionId: null,
    peers: 0,
    controls: 0,
    mode,
    xrSessionActive: false,
    quality: "quality",
    qualityAuto: true,
    qualityReason: "",
    qualityLabel: "",
    qualityHistory: [],
    qualitySettings: null,
    copyState: "original",
    copyProgress: 0,
    copyStates: [],
    videoSource: "original",
    exportJobs: [],
    sceneJobs: [],
    scene: null,
    live: null,
    stereo: null,
    xrEmulator: null,
    canvas: null,
    error: null,
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
