/** What a live session's viewer keeps current (window.__depthcast.live: the HUD and the tests). */
import type { LiveInfo } from "../net/protocol";
import { MAX_UNANSWERED } from "./creditLimit";

export interface LiveCounters {
  kind: LiveInfo["kind"] | null;
  /** The source's state as the server last said (hello, live_status). */
  state: LiveInfo["state"] | null;
  /** Every state the source went through, in order (the last MAX_STATES). */
  states: LiveInfo["state"][];
  error: string | null;
  /** This page captures the source (a camera or screen it opened) and sends its frames. */
  sender: boolean;
  /** Pictures received (decoded or not), depth frames received, pairs shown on the mesh. */
  picturesReceived: number;
  depthReceived: number;
  pairsShown: number;
  lastShownIndex: number;
  /** Pictures let go without their depth (late, or a newer pair came first). */
  unpaired: number;
  /** The last depth frame shown was stabilised (header flag 8). */
  stabilized: boolean;
  /** A browser source: frames captured and sent, answered, superseded by newer ones, now unanswered. */
  framesSent: number;
  framesAnswered: number;
  superseded: number;
  unanswered: number;
  peakUnanswered: number;
  /** How many frames the sender lets be unanswered now: 2, or 1 when passes are long (creditLimit.ts). */
  creditLimit: number;
  /** Capture to display in ms: the last frame's, and the p50 over the last ~2 s. */
  latencyMs: number | null;
  latencyP50Ms: number | null;
  /** Whether the latency is on a common clock (own frames, or the server's clock known). */
  latencySynced: boolean;
  /** Pairs shown per second over the last ~2 s. */
  depthFps: number;
  /** The server's clock minus this browser's, ms (from ping/pong). */
  clockOffsetMs: number | null;
  /** `live_format` messages received (the source changed size). */
  formats: number;
  /** The session is over (its source ended, code 4000). */
  ended: boolean;
}

export const MAX_STATES = 32;

/** Note the source's state (a change is remembered in `states`). */
export function noteLiveState(counters: LiveCounters, state: LiveInfo["state"]): void {
  counters.state = state;
  if (counters.states.at(-1) === state) return;
  counters.states.push(state);
  if (counters.states.length > MAX_STATES) counters.states.shift();
}

export function freshLiveCounters(sender: boolean): LiveCounters {
  return {
    kind: null,
    state: null,
    states: [],
    error: null,
    sender,
    picturesReceived: 0,
    depthReceived: 0,
    pairsShown: 0,
    lastShownIndex: -1,
    unpaired: 0,
    stabilized: false,
    framesSent: 0,
    framesAnswered: 0,
    superseded: 0,
    unanswered: 0,
    peakUnanswered: 0,
    creditLimit: MAX_UNANSWERED,
    latencyMs: null,
    latencyP50Ms: null,
    latencySynced: false,
    depthFps: 0,
    clockOffsetMs: null,
    formats: 0,
    ended: false,
  };
}
