/**
 * Stereo comfort on a screen: where the zero-parallax plane (convergence) sits and how far apart
 * the two eyes are, so that on-screen disparity stays within a share of the image width. Pure
 * logic (no DOM, no three.js, no clock): the caller feeds it the scene's depth span in front of
 * the camera with a timestamp, and renders with what it returns.
 *
 * Disparity is measured as a share of each eye's image width: for eyes `eyeSep` apart, converged
 * at `focus`, a point at distance z is shifted by `eyeSep · k · (1/z − 1/focus)` between the eyes,
 * where k = 1 / (2 · tan(horizontal half field of view)) (`widthPerUnit`). Positive: in front of
 * the screen (crossed), negative: behind it.
 *
 * Automatic (the default): the convergence puts the zero-parallax plane at `convergence` of the
 * way from the nearest to the farthest depth (in 1/z; 0.25: most of the scene behind the screen),
 * and the separation makes the larger of the two disparities `COMFORT_SHARE · strength` of the
 * width, never more than `MAX_DISPARITY_SHARE`. The depth span is smoothed over time
 * (exponential, `SMOOTHING_MS`) and the zero-parallax plane moves at most `MAX_FOCUS_RATE` (in
 * log distance per second), so the picture does not pump; the separation grows back at most
 * `MAX_GROWTH_RATE`, but shrinks at once when this frame's own span would exceed the bound, so a
 * jump of the depth never shows more disparity than the bound, not even for one frame.
 *
 * Manual (`auto` off): the separation is the user's `eyeSep`, still capped at `MAX_DISPARITY_SHARE`.
 */

/** Auto at strength 1: the larger disparity is this share of the image width. */
export const COMFORT_SHARE = 0.03;
/** No disparity beyond this share of the image width, whatever the strength or eye separation. */
export const MAX_DISPARITY_SHARE = 0.05;
/** Time constant of the smoothing of the depth span. */
export const SMOOTHING_MS = 500;
/** The zero-parallax plane moves at most this much per second (natural log of its distance). */
export const MAX_FOCUS_RATE = 0.7;
/** The separation grows at most this much per second (natural log). */
export const MAX_GROWTH_RATE = 0.5;
/** The span counts as at least this deep (1/near − 1/far ≥ this / near): a flat scene. */
export const MIN_RELATIVE_SPAN = 0.05;
export const STRENGTH_RANGE = [0, 2] as const;

export interface ComfortSettings {
  auto: boolean;
  /** Auto: the share of the comfort budget used (1: `COMFORT_SHARE`). */
  strength: number;
  /** Zero-parallax plane between the nearest (0) and the farthest (1) depth, in 1/z. */
  convergence: number;
  /** Manual: eye separation in scene units. */
  eyeSep: number;
}

export const DEFAULT_COMFORT: Readonly<ComfortSettings> = Object.freeze({
  auto: true,
  strength: 1,
  convergence: 0.25,
  eyeSep: 0.064,
});

/** Distances from the camera, in scene units: the robust nearest and farthest of the scene. */
export interface DepthSpan {
  near: number;
  far: number;
}

export interface StereoParams {
  /** Distance of the zero-parallax plane. */
  focus: number;
  eyeSep: number;
  /** Disparity of the span's near and far ends, as shares of the image width. */
  nearShare: number;
  farShare: number;
  /** The bound in force: the larger |disparity| never exceeds it. */
  bound: number;
}

/** Disparity of a point at distance `z`, as a share of the image width (positive: in front). */
export function disparityShare(eyeSep: number, widthPerUnit: number, focus: number, z: number): number {
  return eyeSep * widthPerUnit * (1 / z - 1 / focus);
}

/** The depth at which the zero-parallax plane sits for `convergence` within `span`. */
export function zeroParallaxDepth(span: DepthSpan, convergence: number): number {
  const inv = inverseSpan(span);
  const c = clamp(convergence, 0, 1);
  return 1 / (inv.near - c * (inv.near - inv.far));
}

/** The bound on |disparity| for these settings (share of the image width). */
export function disparityBound(settings: ComfortSettings): number {
  if (!settings.auto) return MAX_DISPARITY_SHARE;
  const strength = clamp(settings.strength, STRENGTH_RANGE[0], STRENGTH_RANGE[1]);
  return Math.min(COMFORT_SHARE * strength, MAX_DISPARITY_SHARE);
}

export class ComfortController {
  settings: ComfortSettings = { ...DEFAULT_COMFORT };
  /** Smoothed 1/near and 1/far. */
  private inv: DepthSpan | null = null;
  private raw: DepthSpan | null = null;
  private focus = 1;
  private separation = 0;
  private lastMs: number | null = null;

  /** Forget the history (another video, another view): the next span is taken as it is. */
  reset(): void {
    this.inv = null;
    this.raw = null;
    this.lastMs = null;
  }

  /**
   * The stereo parameters at `timeMs` for this frame's depth `span` (null: none yet, keep the
   * last one) seen through a camera whose `widthPerUnit` is k (see the module's comment).
   */
  update(span: DepthSpan | null, timeMs: number, widthPerUnit: number): StereoParams {
    const dt = this.lastMs === null ? 0 : Math.max(0, timeMs - this.lastMs) / 1000;
    this.lastMs = timeMs;
    if (span !== null) this.raw = sanitize(span);
    const raw = this.raw;
    const k = Math.max(widthPerUnit, 1e-9);
    const bound = disparityBound(this.settings);
    if (raw === null) return this.params(null, k, bound);
    const now = inverseSpan(raw);
    const first = this.inv === null;
    const inv = this.smooth(now, dt);
    const smoothed = { near: 1 / inv.near, far: 1 / inv.far };
    const targetFocus = zeroParallaxDepth(smoothed, this.settings.convergence);
    this.focus = first ? targetFocus : approach(this.focus, targetFocus, MAX_FOCUS_RATE * dt);
    const reach = (span: DepthSpan): number => {
      const i = inverseSpan(span);
      return Math.max(Math.abs(i.near - 1 / this.focus), Math.abs(i.far - 1 / this.focus), 1e-12);
    };
    if (this.settings.auto) {
      const target = bound / (k * reach(smoothed));
      const grown = first ? target : this.separation * Math.exp(MAX_GROWTH_RATE * dt);
      this.separation = Math.min(target, grown);
    } else {
      this.separation = Math.max(this.settings.eyeSep, 0);
    }
    // This frame's own span: never beyond the bound, not even while the smoothing catches up.
    this.separation = Math.min(this.separation, bound / (k * reach(raw)));
    return this.params(raw, k, bound);
  }

  private smooth(now: DepthSpan, dt: number): DepthSpan {
    if (this.inv === null) {
      this.inv = { ...now };
      return this.inv;
    }
    const a = 1 - Math.exp((-dt * 1000) / SMOOTHING_MS);
    this.inv = { near: this.inv.near + a * (now.near - this.inv.near), far: this.inv.far + a * (now.far - this.inv.far) };
    return this.inv;
  }

  private params(raw: DepthSpan | null, k: number, bound: number): StereoParams {
    const eyeSep = this.separation;
    return {
      focus: this.focus,
      eyeSep,
      nearShare: raw === null ? 0 : disparityShare(eyeSep, k, this.focus, raw.near),
      farShare: raw === null ? 0 : disparityShare(eyeSep, k, this.focus, raw.far),
      bound,
    };
  }
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

function sanitize(span: DepthSpan): DepthSpan {
  const near = Math.max(Number.isFinite(span.near) ? span.near : 1, 1e-4);
  const far = Math.max(Number.isFinite(span.far) ? span.far : near, near);
  return { near, far };
}

/** 1/near and 1/far, at least `MIN_RELATIVE_SPAN / near` apart. */
function inverseSpan(span: DepthSpan): DepthSpan {
  const near = 1 / span.near;
  const far = Math.min(1 / span.far, near * (1 - MIN_RELATIVE_SPAN));
  return { near, far };
}

/** `from` moved towards `to` by at most `maxLog` in log distance. */
function approach(from: number, to: number, maxLog: number): number {
  const step = clamp(Math.log(to / from), -maxLog, maxLog);
  return from * Math.exp(step);
}
