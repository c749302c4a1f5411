/**
 * ?xr=emulate: install Meta's WebXR emulation runtime (iwer) as navigator.xr, before the
 * WebGLRenderer exists, so immersive-vr works in browsers without a headset (tests, headless).
 * iwer resizes the canvas while presenting; three's WebXRManager takes the eye viewports from
 * the XR layer.
 */
export async function installXREmulator(): Promise<void> {
  const { XRDevice, metaQuest3 } = await import("iwer");
  const device = new XRDevice(metaQuest3, { stereoEnabled: true });
  device.installRuntime({ forceInstall: true });
}
