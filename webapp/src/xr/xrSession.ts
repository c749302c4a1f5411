/** Entering and leaving an immersive-vr session through three's renderer.xr. */
import type * as THREE from "three";

export const XR_SESSION_INIT: XRSessionInit = {
  optionalFeatures: ["local-floor", "bounded-floor", "hand-tracking"],
};

export async function isImmersiveVrSupported(): Promise<boolean> {
  const xr = navigator.xr;
  if (!xr) return false;
  try {
    return await xr.isSessionSupported("immersive-vr");
  } catch {
    return false;
  }
}

export class XRSessionManager {
  session: XRSession | null = null;
  private readonly listeners: { start: Array<() => void>; end: Array<() => void> } = { start: [], end: [] };

  constructor(private readonly renderer: THREE.WebGLRenderer) {}

  get active(): boolean {
    return this.session !== null;
  }

  on(event: "start" | "end", fn: () => void): void {
    this.listeners[event].push(fn);
  }

  /** Request immersive-vr and hand it to renderer.xr (resolves once it is presenting). */
  async enter(): Promise<void> {
    if (this.session !== null) return;
    const xr = navigator.xr;
    if (!xr) throw new Error("WebXR is not available in this browser (try ?xr=emulate).");
    const session = await xr.requestSession("immersive-vr", XR_SESSION_INIT);
    session.addEventListener("end", () => {
      if (this.session !== session) return;
      this.session = null;
      for (const fn of this.listeners.end) fn();
    });
    await this.renderer.xr.setSession(session);
    this.session = session;
    for (const fn of this.listeners.start) fn();
  }

  async exit(): Promise<void> {
    const session = this.session;
    if (session === null) return;
    await session.end();
  }
}
