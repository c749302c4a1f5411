import { describe, expect, it } from "vitest";
import { actionForKey } from "../../src/app/keyboard";

describe("keyboard shortcuts", () => {
  it("maps keys to actions; frame steps only when paused", () => {
    expect(actionForKey(" ", false)).toEqual({ kind: "toggle-play" });
    expect(actionForKey("ArrowLeft", false)).toEqual({ kind: "seek", seconds: -5 });
    expect(actionForKey("ArrowRight", true)).toEqual({ kind: "seek", seconds: 5 });
    expect(actionForKey(".", true)).toEqual({ kind: "step", frames: 1 });
    expect(actionForKey(",", true)).toEqual({ kind: "step", frames: -1 });
    expect(actionForKey(".", false)).toBeNull();
    expect(actionForKey("f", false)).toEqual({ kind: "fullscreen" });
    expect(actionForKey("m", false)).toEqual({ kind: "cycle-mode" });
    expect(actionForKey("h", false)).toEqual({ kind: "toggle-hud" });
    expect(actionForKey("r", false)).toEqual({ kind: "reset-view" });
    expect(actionForKey("q", false)).toBeNull();
  });
});
