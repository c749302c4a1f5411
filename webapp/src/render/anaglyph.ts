/**
 * Red-cyan anaglyph: both eyes rendered to their own targets, then mixed into one picture by
 * 3×3 colour matrices on linear RGB (out = ML·left + MR·right, clamped).
 *
 * "dubois": Eric Dubois's least-squares matrices for red-cyan glasses ("A projection method to
 * generate anaglyph stereo images", ICASSP 2001; the red-cyan pair as three.js's AnaglyphEffect
 * gives it): each eye's filter passes a mix that best reproduces the colours, which limits
 * retinal rivalry. "plain": the red channel is the left eye's red, green and blue the right
 * eye's (full colour on each side, more rivalry on saturated reds and cyans).
 */
import * as THREE from "three";
import { FullScreenQuad } from "three/addons/postprocessing/Pass.js";

export type AnaglyphMethod = "dubois" | "plain";

/** Rows are output channels (r, g, b), columns the input's; row-major. */
export const ANAGLYPH_MATRICES: Readonly<Record<AnaglyphMethod, { left: readonly number[]; right: readonly number[] }>> = {
  dubois: {
    left: [0.4561, 0.500484, 0.176381, -0.0400822, -0.0378246, -0.0157589, -0.0152161, -0.0205971, -0.00546856],
    right: [-0.0434706, -0.0879388, -0.00155529, 0.378476, 0.73364, -0.0184503, -0.0721527, -0.112961, 1.2264],
  },
  plain: {
    left: [1, 0, 0, 0, 0, 0, 0, 0, 0],
    right: [0, 0, 0, 0, 1, 0, 0, 0, 1],
  },
};

const FRAGMENT = /* glsl */ `
uniform sampler2D uLeft;
uniform sampler2D uRight;
uniform mat3 uMatrixLeft;
uniform mat3 uMatrixRight;
varying vec2 vUv;
void main() {
  vec3 left = texture2D(uLeft, vUv).rgb;
  vec3 right = texture2D(uRight, vUv).rgb;
  gl_FragColor = vec4(clamp(uMatrixLeft * left + uMatrixRight * right, 0.0, 1.0), 1.0);
  #include <colorspace_fragment>
}
`;

const VERTEX = /* glsl */ `
varying vec2 vUv;
void main() {
  vUv = uv;
  gl_Position = projectionMatrix * modelViewMatrix * vec4(position, 1.0);
}
`;

/** Set `m` to the row-major `rows`. */
function setRows(m: THREE.Matrix3, rows: readonly number[]): void {
  const [a, b, c, d, e, f, g, h, i] = rows as [number, number, number, number, number, number, number, number, number];
  m.set(a, b, c, d, e, f, g, h, i);
}

export class AnaglyphComposer {
  // Half floats keep the linear colours' dark end (8 bits would band it before the sRGB encoding).
  private readonly left = new THREE.WebGLRenderTarget(1, 1, { type: THREE.HalfFloatType });
  private readonly right = new THREE.WebGLRenderTarget(1, 1, { type: THREE.HalfFloatType });
  private readonly material = new THREE.ShaderMaterial({
    uniforms: {
      uLeft: { value: this.left.texture },
      uRight: { value: this.right.texture },
      uMatrixLeft: { value: new THREE.Matrix3() },
      uMatrixRight: { value: new THREE.Matrix3() },
    },
    vertexShader: VERTEX,
    fragmentShader: FRAGMENT,
    depthTest: false,
    depthWrite: false,
  });
  private readonly quad = new FullScreenQuad(this.material);
  private readonly size = new THREE.Vector2();

  render(renderer: THREE.WebGLRenderer, scene: THREE.Scene, left: THREE.Camera, right: THREE.Camera, method: AnaglyphMethod): void {
    renderer.getDrawingBufferSize(this.size);
    for (const target of [this.left, this.right]) {
      if (target.width !== this.size.x || target.height !== this.size.y) target.setSize(this.size.x, this.size.y);
    }
    const m = ANAGLYPH_MATRICES[method];
    setRows((this.material.uniforms.uMatrixLeft as THREE.IUniform<THREE.Matrix3>).value, m.left);
    setRows((this.material.uniforms.uMatrixRight as THREE.IUniform<THREE.Matrix3>).value, m.right);
    const previous = renderer.getRenderTarget();
    renderer.setRenderTarget(this.left);
    renderer.clear();
    renderer.render(scene, left);
    renderer.setRenderTarget(this.right);
    renderer.clear();
    renderer.render(scene, right);
    renderer.setRenderTarget(previous);
    this.quad.render(renderer);
  }

  /** Out of the anaglyph modes: give back the two canvas-sized half-float targets. */
  release(): void {
    for (const target of [this.left, this.right]) {
      if (target.width > 1 || target.height > 1) target.setSize(1, 1);
    }
  }

  dispose(): void {
    this.left.dispose();
    this.right.dispose();
    this.material.dispose();
    this.quad.dispose();
  }
}
