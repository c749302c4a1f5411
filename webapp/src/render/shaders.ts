/**
 * GLSL 3 (WebGL2) shaders of the depth mesh.
 *
 * The vertex shader reads the uint16 depth texture as-is (usampler2D + texelFetch), turns the
 * sample into depth (metric: `sample · scale + bias` metres; relative: normalised to
 * 1 .. 1 + relief), and unprojects the grid vertex through the pinhole intrinsics, so the view
 * from the origin reproduces the video and a metric model gives true-scale geometry. It also
 * measures the relative depth jump to the neighbouring samples; the fragment shader discards
 * where it exceeds a threshold, hiding the "rubber sheet" across depth discontinuities. The
 * colour is the video frame, decoded from sRGB and encoded for the output colour space.
 */

export const DEPTH_VERTEX_SHADER = /* glsl */ `
precision highp float;
precision highp int;
precision highp usampler2D;

uniform usampler2D uDepth;
uniform ivec2 uDepthSize;
uniform float uScale;
uniform float uBias;
uniform float uMetric;      // 1: samples are metres (scale/bias); 0: relative
uniform float uRelief;      // relative depth is shown as 1 .. 1 + uRelief
uniform float uHasDepth;    // 0 before the first depth frame: a flat plane
uniform float uFlatDepth;   // depth of that plane
uniform vec4 uIntrinsics;   // fx_norm, fy_norm, cx_norm, cy_norm
uniform vec2 uGridStep;     // one grid cell in image coordinates (0..1)

out vec2 vUv;
out float vJump;

float sampleAt(vec2 img) {
  ivec2 p = clamp(ivec2(floor(img * vec2(uDepthSize))), ivec2(0), uDepthSize - 1);
  return float(texelFetch(uDepth, p, 0).r);
}

float toDepth(float s) {
  if (uMetric > 0.5) return max(s * uScale + uBias, 1e-3);
  return 1.0 + uRelief * (s / 65535.0);
}

void main() {
  vUv = uv;
  vec2 img = vec2(uv.x, 1.0 - uv.y);  // image coordinates: x right, y down
  float z = uFlatDepth;
  float jump = 0.0;
  if (uHasDepth > 0.5) {
    z = toDepth(sampleAt(img));
    float zl = toDepth(sampleAt(img - vec2(uGridStep.x, 0.0)));
    float zr = toDepth(sampleAt(img + vec2(uGridStep.x, 0.0)));
    float zu = toDepth(sampleAt(img - vec2(0.0, uGridStep.y)));
    float zd = toDepth(sampleAt(img + vec2(0.0, uGridStep.y)));
    float lo = min(min(min(zl, zr), min(zu, zd)), z);
    float hi = max(max(max(zl, zr), max(zu, zd)), z);
    jump = (hi - lo) / max(lo, 1e-6);
  }
  vJump = jump;
  vec3 p = vec3(
    (img.x - uIntrinsics.z) / uIntrinsics.x * z,
    -(img.y - uIntrinsics.w) / uIntrinsics.y * z,
    -z
  );
  gl_Position = projectionMatrix * modelViewMatrix * vec4(p, 1.0);
}
`;

export const DEPTH_FRAGMENT_SHADER = /* glsl */ `
precision highp float;

uniform sampler2D uVideo;
uniform float uHasVideo;
uniform float uEdgeThreshold;  // <= 0: keep every triangle
uniform vec4 uVideoWindow;     // the picture in the video texture: uv scale (xy), offset (zw)

in vec2 vUv;
in float vJump;
out vec4 fragColor;

void main() {
  if (uEdgeThreshold > 0.0 && vJump > uEdgeThreshold) discard;
  // three uploads video frames as-is (sRGB bytes, no sRGB texture format) and decodes them in
  // its own shaders; a ShaderMaterial must decode them itself before re-encoding for output.
  vec4 color = uHasVideo > 0.5 ? sRGBTransferEOTF(texture(uVideo, uVideoWindow.zw + vUv * uVideoWindow.xy)) : vec4(vec3(0.1 + 0.1 * vUv.y), 1.0);
  fragColor = linearToOutputTexel(vec4(color.rgb, 1.0));
}
`;
