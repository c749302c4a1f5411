/**
 * Controller input in VR: trigger = play/pause, thumbstick left/right = seek, grip + move =
 * move the scene (both grips: scale it).
 */
import * as THREE from "three";

export interface ControllerActions {
  togglePlay(): void;
  seekBy(seconds: number): void;
}

export const THUMBSTICK_THRESHOLD = 0.6;
export const SEEK_STEP_S = 5;
export const SEEK_REPEAT_MS = 450;

/** Thumbstick x → seek direction with hysteresis-free edge + repeat (pure; unit tested). */
export class ThumbstickSeek {
  private heldSince: number | null = null;
  private lastFired = 0;

  /** Returns −1, 0 or +1: the seek to make now for this stick position. */
  update(x: number, now: number): -1 | 0 | 1 {
    const dir = x > THUMBSTICK_THRESHOLD ? 1 : x < -THUMBSTICK_THRESHOLD ? -1 : 0;
    if (dir === 0) {
      this.heldSince = null;
      return 0;
    }
    if (this.heldSince === null) {
      this.heldSince = now;
      this.lastFired = now;
      return dir;
    }
    if (now - this.lastFired >= SEEK_REPEAT_MS) {
      this.lastFired = now;
      return dir;
    }
    return 0;
  }
}

interface Hand {
  controller: THREE.Group;
  source: XRInputSource | null;
  gripping: boolean;
  stick: ThumbstickSeek;
}

export class XRControllers {
  private readonly hands: Hand[] = [];
  private readonly lastPos = [new THREE.Vector3(), new THREE.Vector3()];
  private lastSpread = 0;

  constructor(
    private readonly renderer: THREE.WebGLRenderer,
    scene: THREE.Scene,
    private readonly target: THREE.Object3D,
    private readonly actions: ControllerActions,
  ) {
    for (let i = 0; i < 2; i++) {
      const controller = renderer.xr.getController(i);
      const hand: Hand = { controller, source: null, gripping: false, stick: new ThumbstickSeek() };
      controller.add(makeRay());
      controller.addEventListener("connected", (event) => {
        hand.source = (event as unknown as { data: XRInputSource }).data;
      });
      controller.addEventListener("disconnected", () => {
        hand.source = null;
        hand.gripping = false;
      });
      controller.addEventListener("selectstart", () => this.actions.togglePlay());
      controller.addEventListener("squeezestart", () => {
        hand.gripping = true;
        this.resetGrab();
      });
      controller.addEventListener("squeezeend", () => {
        hand.gripping = false;
        this.resetGrab();
      });
      scene.add(controller);
      this.hands.push(hand);
    }
  }

  /** Once per XR frame. */
  update(now: number): void {
    if (!this.renderer.xr.isPresenting) return;
    for (const hand of this.hands) {
      const axes = hand.source?.gamepad?.axes;
      if (!axes || axes.length === 0) continue;
      const x = axes.length >= 4 ? (axes[2] as number) : (axes[0] as number);
      const dir = hand.stick.update(x, now);
      if (dir !== 0) this.actions.seekBy(dir * SEEK_STEP_S);
    }
    this.applyGrab();
  }

  private resetGrab(): void {
    this.hands.forEach((hand, i) => hand.controller.getWorldPosition(this.lastPos[i] as THREE.Vector3));
    const [a, b] = this.lastPos as [THREE.Vector3, THREE.Vector3];
    this.lastSpread = a.distanceTo(b);
  }

  private applyGrab(): void {
    const gripping = this.hands.filter((h) => h.gripping);
    if (gripping.length === 0) return;
    const now = this.hands.map((h) => h.controller.getWorldPosition(new THREE.Vector3()));
    if (gripping.length === 1) {
      const i = this.hands.indexOf(gripping[0] as Hand);
      const delta = (now[i] as THREE.Vector3).clone().sub(this.lastPos[i] as THREE.Vector3);
      this.target.position.add(delta);
    } else {
      const [a, b] = now as [THREE.Vector3, THREE.Vector3];
      const spread = a.distanceTo(b);
      const mid = a.clone().add(b).multiplyScalar(0.5);
      const lastMid = (this.lastPos[0] as THREE.Vector3).clone().add(this.lastPos[1] as THREE.Vector3).multiplyScalar(0.5);
      if (this.lastSpread > 1e-3 && spread > 1e-3) {
        const k = THREE.MathUtils.clamp(spread / this.lastSpread, 0.5, 2);
        // scale about the hands' midpoint
        this.target.position.sub(lastMid).multiplyScalar(k).add(lastMid);
        this.target.scale.multiplyScalar(k);
      }
      this.target.position.add(mid.sub(lastMid));
      this.lastSpread = spread;
    }
    now.forEach((p, i) => (this.lastPos[i] as THREE.Vector3).copy(p));
  }
}

function makeRay(): THREE.Line {
  const geometry = new THREE.BufferGeometry().setFromPoints([new THREE.Vector3(0, 0, 0), new THREE.Vector3(0, 0, -1)]);
  const line = new THREE.Line(geometry, new THREE.LineBasicMaterial({ color: 0x88ccff }));
  line.scale.z = 0.5;
  return line;
}
