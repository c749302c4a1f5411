import { describe, expect, it } from "vitest";
import type { ViewMode } from "../../src/app/params";
import { ViewModeController, type ImmersiveSession } from "../../src/app/viewMode";
import type { ScreenMode } from "../../src/render/viewRenderer";

/** An immersive session that starts and ends like XRSessionManager: events after the change. */
class FakeXr implements ImmersiveSession {
  active = false;
  refuse = false;
  onStart: () => void = () => undefined;
  onEnd: () => void = () => undefined;
  async enter(): Promise<void> {
    if (this.refuse) throw new Error("no headset");
    this.active = true;
    this.onStart();
  }
  async exit(): Promise<void> {
    if (!this.active) return;
    this.active = false;
    this.onEnd();
  }
  /** The headset ended the session by itself. */
  endFromOutside(): void {
    this.active = false;
    this.onEnd();
  }
}

function harness(initial: ScreenMode = "normal") {
  const log: string[] = [];
  const shown = { scene: "", select: "", vrActive: false, vrSupported: false };
  const element = { dataset: {} as DOMStringMap };
  const debug = { mode: "normal" as ViewMode, xrSessionActive: false };
  const urls: ViewMode[] = [];
  const xr = new FakeXr();
  const modes = new ViewModeController(
    {
      scene: {
        showScreen: (mode) => {
          shown.scene = mode;
          log.push(`screen ${mode}`);
        },
        showVr: () => {
          shown.scene = "vr";
          log.push("vr");
        },
      },
      controls: {
        showMode: (mode) => (shown.select = mode),
        setVrActive: (active) => (shown.vrActive = active),
        setVrSupported: (supported) => (shown.vrSupported = supported),
      },
      xr,
      element,
      debug,
      writeUrl: (mode) => urls.push(mode),
    },
    initial,
  );
  xr.onStart = () => modes.xrStarted();
  xr.onEnd = () => modes.xrEnded();
  /** Every place that shows the mode agrees on `mode`. */
  const expectEverywhere = (mode: ViewMode): void => {
    expect(modes.mode).toBe(mode);
    expect(shown.scene).toBe(mode);
    expect(shown.select).toBe(mode);
    expect(shown.vrActive).toBe(mode === "vr");
    expect(element.dataset.mode).toBe(mode);
    expect(debug.mode).toBe(mode);
    expect(debug.xrSessionActive).toBe(mode === "vr");
    expect(urls.at(-1)).toBe(mode);
  };
  return { modes, xr, log, shown, urls, debug, expectEverywhere };
}

describe("ViewModeController", () => {
  it("writes nothing before start, then the initial mode everywhere", () => {
    const { modes, urls, log, expectEverywhere } = harness("sbs");
    expect(urls).toEqual([]);
    expect(log).toEqual([]);
    modes.start();
    expectEverywhere("sbs");
  });

  it("switches screen modes everywhere at once, URL included", async () => {
    const { modes, urls, expectEverywhere } = harness();
    modes.start();
    await modes.set("sbs");
    expectEverywhere("sbs");
    await modes.set("normal");
    expectEverywhere("normal");
    expect(urls).toEqual(["normal", "sbs", "normal"]);
  });

  it("rejects an unknown mode and changes nothing", async () => {
    const { modes, urls, expectEverywhere } = harness();
    modes.start();
    await expect(modes.set("holo")).rejects.toThrow(/unknown mode "holo"/);
    expectEverywhere("normal");
    expect(urls).toHaveLength(1);
  });

  it("enters VR through the session and comes back to the last screen mode", async () => {
    const { modes, xr, log, expectEverywhere } = harness("sbs");
    modes.start();
    await modes.set("vr");
    expect(xr.active).toBe(true);
    expectEverywhere("vr");
    await modes.toggleVr(); // the VR button again: leave
    expect(xr.active).toBe(false);
    expectEverywhere("sbs");
    await modes.set("vr");
    await modes.set("normal"); // a screen mode from the headset
    expectEverywhere("normal");
    expect(log).toEqual(["screen sbs", "vr", "screen sbs", "vr", "screen normal"]);
  });

  it("follows a session that ends on its own", async () => {
    const { modes, xr, expectEverywhere } = harness("sbs");
    modes.start();
    await modes.set("vr");
    xr.endFromOutside();
    expectEverywhere("sbs");
  });

  it("keeps the mode when the headset refuses, and says why", async () => {
    const { modes, xr, shown, expectEverywhere } = harness();
    modes.start();
    shown.select = "vr"; // the user picked VR in the select
    xr.refuse = true;
    await expect(modes.set("vr")).rejects.toThrow(/no headset/);
    expectEverywhere("normal");
  });

  it("cycles through every screen mode (→ vr where supported) → normal", async () => {
    const { modes, shown } = harness();
    modes.start();
    const seen: ViewMode[] = [];
    for (let i = 0; i < 8; i++) {
      await modes.cycle();
      seen.push(modes.mode);
    }
    expect(seen).toEqual(["sbs", "cross", "tb", "half-tb", "anaglyph", "anaglyph-plain", "normal", "sbs"]);
    modes.setVrSupported(true);
    expect(shown.vrSupported).toBe(true);
    for (let i = 0; i < 5; i++) await modes.cycle();
    expect(modes.mode).toBe("anaglyph-plain");
    await modes.cycle();
    expect(modes.mode).toBe("vr");
    await modes.cycle();
    expect(modes.mode).toBe("normal");
  });

  it("shows each stereo mode in the scene and the URL", async () => {
    const { modes, shown, urls } = harness();
    modes.start();
    for (const mode of ["cross", "tb", "half-tb", "anaglyph", "anaglyph-plain"] as const) {
      await modes.set(mode);
      expect(shown.scene).toBe(mode);
      expect(urls.at(-1)).toBe(mode);
    }
    await expect(modes.set("anaglyph-green")).rejects.toThrow(/unknown mode/);
  });

  it("changes nothing after dispose (a late session end of a closed player)", async () => {
    const { modes, xr, urls, debug } = harness();
    modes.start();
    await modes.set("vr");
    const written = urls.length;
    modes.dispose();
    await xr.exit();
    expect(urls).toHaveLength(written);
    expect(debug.mode).toBe("vr");
  });
});
