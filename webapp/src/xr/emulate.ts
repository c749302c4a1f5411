/**
 * ?xr=emulate: install Meta's WebXR emulation runtime (iwer) as navigator.xr, before the
 * WebGLRenderer exists, so immersive-vr works in browsers without a headset (tests, headless).
 * iwer resizes the canvas while presenting; three's WebXRManager takes the eye viewports from
 * the XR layer.
 */

/** The emulated headset, for tests (window.__depthcast.xrEmulator): move the head, read the IPD. */
export interface XrEmulator {
  readonly ipd: number;
  /** Put the headset at (x, y, z) metres in the emulator's floor space (looking along -z). */
  setHeadPosition(x: number, y: number, z: number): void;
}

let installed: Promise<XrEmulator> | null = null;

/**
 * installXREmulator once per page (the player, the live player and the scene view all call
 * this: a second runtime forced over the first would replace navigator.xr under a renderer);
 * the headset it installed.
 */
export function installXREmulatorOnce(): Promise<XrEmulator> {
  installed ??= installXREmulator();
  return installed;
}

async function installXREmulator(): Promise<XrEmulator> {
  const { XRDevice, metaQuest3 } = await import("iwer");
  const device = new XRDevice(metaQuest3, { stereoEnabled: true });
  device.installRuntime({ forceInstall: true });
  return {
    get ipd(): number {
      return device.ipd;
    },
    setHeadPosition(x: number, y: number, z: number): void {
      device.position.set(x, y, z);
    },
  };
}
