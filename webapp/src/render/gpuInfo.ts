/** What the browser renders with: WebGL2 at all, and whether it is a software rasteriser. */

export interface GpuInfo {
  webgl2: boolean;
  renderer: string;
  /** SwiftShader, llvmpipe and friends: vertex work is expensive, so the defaults go lighter. */
  software: boolean;
}

const SOFTWARE = /swiftshader|llvmpipe|softpipe|software|microsoft basic render/i;

export function isSoftwareRenderer(renderer: string): boolean {
  return SOFTWARE.test(renderer);
}

/** Probe with a throwaway context (released at once). */
export function probeGpu(): GpuInfo {
  const canvas = document.createElement("canvas");
  const gl = canvas.getContext("webgl2");
  if (!gl) return { webgl2: false, renderer: "", software: false };
  const debug = gl.getExtension("WEBGL_debug_renderer_info");
  const renderer = String(gl.getParameter(debug ? debug.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? "");
  gl.getExtension("WEBGL_lose_context")?.loseContext();
  return { webgl2: true, renderer, software: isSoftwareRenderer(renderer) };
}
