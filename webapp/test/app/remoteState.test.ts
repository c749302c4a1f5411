import { describe, expect, it } from "vitest";
import { PlayerState, remoteStatus } from "../../src/app/remoteState";

describe("the remote's picture of the player", () => {
  it("extrapolates a playing player's time and holds a paused one", () => {
    const player = new PlayerState();
    expect(player.known).toBe(false);
    player.update({ type: "control", action: "state", time_s: 10, paused: false, mode: "sbs" }, 1000);
    expect(player.known).toBe(true);
    expect(player.mode).toBe("sbs");
    expect(player.timeAt(3500)).toBeCloseTo(12.5);
    player.update({ type: "control", action: "state", time_s: 4, paused: true, mode: null }, 4000);
    expect(player.timeAt(9000)).toBe(4);
    expect(player.paused(9000)).toBe(true);
    expect(player.mode).toBe("sbs");
  });

  it("ignores commands from other remotes", () => {
    const player = new PlayerState();
    player.update({ type: "control", action: "seek", time_s: 50 }, 0);
    expect(player.known).toBe(false);
    expect(player.timeAt(100)).toBe(0);
  });

  it("says who is listening", () => {
    expect(remoteStatus(0, false)).toMatch(/No other device/);
    expect(remoteStatus(1, false)).toMatch(/waiting for a player/);
    expect(remoteStatus(2, true)).toBe("Controlling 2 other devices.");
  });
});
