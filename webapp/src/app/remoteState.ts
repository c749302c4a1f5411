/** What a remote knows of the players it controls: their last reported state, extrapolated. */
import type { Control } from "../net/protocol";
import type { RemoteMode } from "./remoteLink";

export class PlayerState {
  known = false;
  mode: RemoteMode | null = null;
  private timeS = 0;
  private isPaused = true;
  private at = 0;

  /** A `state` report from a player (other control messages are ignored). */
  update(message: Control, now: number): void {
    if (message.action !== "state" || typeof message.time_s !== "number") return;
    this.known = true;
    this.timeS = message.time_s;
    this.isPaused = message.paused ?? true;
    this.mode = message.mode ?? this.mode;
    this.at = now;
  }

  paused(_now: number): boolean {
    return this.isPaused;
  }

  /** The player's media time now, assuming it plays on at rate 1 since its report. */
  timeAt(now: number): number {
    return this.isPaused ? this.timeS : this.timeS + Math.max(0, now - this.at) / 1000;
  }
}

/** The remote's status line. */
export function remoteStatus(peers: number, heardFromPlayer: boolean): string {
  if (peers === 0) return "No other device has this video open. On the headset, scan “Watch on a headset” from the player’s “Other device” button.";
  if (!heardFromPlayer) return `Connected to ${peers} other device${peers === 1 ? "" : "s"}; waiting for a player…`;
  return `Controlling ${peers} other device${peers === 1 ? "" : "s"}.`;
}
