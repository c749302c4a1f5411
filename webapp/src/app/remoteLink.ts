/**
 * The player's side of remote control: it obeys `control` messages from the other devices
 * of its session (a phone as a remote) and, while anyone listens, says where it is.
 */
import type { Control } from "../net/protocol";
import { isViewMode, VIEW_MODES, type ViewMode } from "./params";

/** The modes a remote's `control` messages name: every view mode (the wire's ViewModeName). */
export const REMOTE_MODES = VIEW_MODES;
export type RemoteMode = ViewMode;

/** What a remote can do to a player. */
export interface RemoteTarget {
  play(): void;
  pause(): void;
  seekTo(seconds: number): void;
  setMode(mode: ViewMode): void;
  /** Open another session in this player (the remote uploaded a new video). */
  open(sessionId: string): void;
  /** Where the player is now. */
  position(): { timeS: number; paused: boolean; mode: ViewMode };
}

/** How often a player reports its state while another device listens. */
export const STATE_INTERVAL_MS = 1000;

export class RemoteLink {
  /** Other devices with this session open. */
  peers = 0;
  /** Control messages obeyed, for window.__depthcast and tests. */
  applied = 0;
  private lastReport = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly target: RemoteTarget,
    private readonly send: (message: Control) => void,
  ) {}

  /** A control message from another device. `state` reports from other players are ignored. */
  receive(message: Control): void {
    switch (message.action) {
      case "play":
        this.target.play();
        break;
      case "pause":
        this.target.pause();
        break;
      case "seek":
        if (typeof message.time_s === "number") this.target.seekTo(message.time_s);
        break;
      case "mode":
        if (typeof message.mode === "string" && isViewMode(message.mode)) this.target.setMode(message.mode);
        break;
      case "open":
        if (typeof message.session_id === "string") this.target.open(message.session_id);
        break;
      case "state":
        return;
    }
    this.applied += 1;
    this.report(); // the remote sees the effect at once
  }

  setPeers(count: number): void {
    const joined = count > this.peers;
    this.peers = count;
    if (joined) this.report();
  }

  /** Called often (every tick); reports at most every STATE_INTERVAL_MS while peers listen. */
  tick(now: number): void {
    if (this.peers > 0 && now - this.lastReport >= STATE_INTERVAL_MS) this.report(now);
  }

  /** Say where the player is, if anyone listens. */
  report(now: number = performance.now()): void {
    if (this.peers === 0) return;
    this.lastReport = now;
    const { timeS, paused, mode } = this.target.position();
    this.send({ type: "control", action: "state", time_s: Math.max(0, timeS), paused, mode });
  }
}
