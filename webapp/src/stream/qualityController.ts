/**
 * Adaptive quality: which level of depth downsample, mesh density and look-ahead to ask for,
 * from what the viewer measures. Pure logic (no DOM, no timers): the caller feeds it samples
 * of cumulative counters with a timestamp and applies the level it returns.
 *
 * It steps DOWN quickly (behind for `downAfterMs`) and UP slowly (room for `upAfterMs`), and
 * after any change it judges nothing for `settleMs` (the new window has to take effect). A
 * step up that is undone within `probeMs` doubles the wait before that step up is tried again
 * (up to `maxUpAfterMs`), so a viewer at the boundary between two levels changes level a
 * bounded number of times instead of every few seconds. Depth falling behind counts only when
 * the link is the limit (the server's writes take long): a server that computes too little is
 * not helped by any level, so then the level holds, and the reason says so.
 */

/** Lowest first. */
export const QUALITY_LEVELS = ["smooth", "balanced", "quality"] as const;
export type QualityLevel = (typeof QUALITY_LEVELS)[number];
export const QUALITY_CHOICES = ["auto", ...QUALITY_LEVELS] as const;
export type QualityChoice = (typeof QUALITY_CHOICES)[number];

export function isQualityChoice(value: string): value is QualityChoice {
  return (QUALITY_CHOICES as readonly string[]).includes(value);
}

/** What a level sets: the `window` message's fields and the mesh density. */
export interface QualitySettings {
  density: number;
  downsample: number;
  /** Seconds of depth requested ahead (`window.ahead_s`). */
  ahead: number;
  maxInflight: number;
}

/** Per level, relative to the "quality" level (the URL's density, downsample, ahead). */
const LEVEL_FACTORS: Record<QualityLevel, { density: number; downsample: number; ahead: number }> = {
  quality: { density: 1, downsample: 1, ahead: 1 },
  balanced: { density: 1 / 2, downsample: 2, ahead: 1.5 },
  smooth: { density: 1 / 4, downsample: 4, ahead: 2 },
};

/**
 * The settings of `level` given the "quality" level's (`base`): each step down halves the
 * mesh density, doubles the downsample (a quarter of the bytes) and asks for more look-ahead,
 * so a slow link or server gets more time to fill the buffer.
 */
export function settingsFor(level: QualityLevel, base: QualitySettings): QualitySettings {
  const f = LEVEL_FACTORS[level];
  return {
    density: Math.max(16, Math.round(base.density * f.density)),
    downsample: Math.min(16, Math.max(1, Math.round(base.downsample * f.downsample))),
    ahead: Math.min(60, base.ahead * f.ahead),
    maxInflight: base.maxInflight,
  };
}

/** One look at the viewer; counters are cumulative (the controller takes differences). */
export interface QualitySample {
  timeMs: number;
  /** The video is playing (not paused, seeking or ended): only then is anything judged. */
  playing: boolean;
  /** Frames per second the video presents: its frame rate × the playback rate. */
  videoFps: number;
  /** Depth frames received per second (recent). */
  depthFps: number;
  bufferAheadMs: number;
  /** The look-ahead the current level asks for, in ms of media time. */
  targetAheadMs: number;
  displayed: number;
  withOwnDepth: number;
  /** Depth frames the server gave up as late (stale) or could not queue (overflow). */
  late: number;
  /** Recent time between rendered frames (ms), or null when unknown. */
  frameMs: number | null;
  /**
   * The server's mean time to write a depth frame to this socket (`stats.timings.send_ms`), or
   * null before its first `stats`. Long writes mean the link is the limit; short ones with too
   * little depth mean the server's computing is, which no level of the viewer changes.
   */
  serverSendMs: number | null;
}

export interface QualityTuning {
  /** Evidence is judged over this much recent playback. */
  windowMs: number;
  /** Displayed frames the window must hold before anything is judged. */
  minFrames: number;
  downAfterMs: number;
  upAfterMs: number;
  maxUpAfterMs: number;
  settleMs: number;
  /** A step down this soon after a step up marks that step up as failed (its wait doubles). */
  probeMs: number;
  /** Behind: own-depth share below this... */
  behindOwnShare: number;
  /** ...or depth fps below this × video fps while the buffer is nearly empty... */
  behindDepthRatio: number;
  /** ...or late frames above this share of the frames displayed... */
  behindLateShare: number;
  /** ...or frames taking longer than this × the video's frame interval to render. */
  behindFrameRatio: number;
  /** Depth that falls behind counts against the link only if the server's writes take at
   * least this × the video's frame interval (else the server's computing is the limit). */
  linkSendRatio: number;
  /** Room: own share at least this, the buffer at least `roomBuffer` × the look-ahead, no late frames. */
  roomOwnShare: number;
  roomBuffer: number;
}

export const DEFAULT_TUNING: Readonly<QualityTuning> = Object.freeze({
  windowMs: 3000,
  minFrames: 15,
  downAfterMs: 1500,
  upAfterMs: 10_000,
  maxUpAfterMs: 600_000,
  settleMs: 3000,
  probeMs: 30_000,
  behindOwnShare: 0.8,
  behindDepthRatio: 0.85,
  behindLateShare: 0.1,
  behindFrameRatio: 2,
  linkSendRatio: 0.25,
  roomOwnShare: 0.97,
  roomBuffer: 0.5,
});

export interface QualityChange {
  timeMs: number;
  from: QualityLevel;
  to: QualityLevel;
  auto: boolean;
  reason: string;
}

interface Judgement {
  behind: string | null;
  room: string | null;
  /** Behind, but not for anything a lower level changes (the server computes too little). */
  held: string | null;
}

const pct = (x: number): string => `${Math.round(100 * x)} %`;
const fps = (x: number): string => `${x >= 10 ? x.toFixed(0) : x.toFixed(1)} fps`;

/** Judge a window of samples (oldest first, at least two): behind (why), room (why) or neither. */
export function judge(window: readonly QualitySample[], tuning: QualityTuning): Judgement {
  const first = window[0] as QualitySample;
  const last = window[window.length - 1] as QualitySample;
  const displayed = last.displayed - first.displayed;
  if (displayed < tuning.minFrames) return { behind: null, room: null, held: null };
  const own = (last.withOwnDepth - first.withOwnDepth) / displayed;
  const late = last.late - first.late;
  const interval = 1000 / Math.max(last.videoFps, 1e-3);
  const emptyish = last.bufferAheadMs < 0.25 * last.targetAheadMs;
  let depthBehind: string | null = null;
  if (last.depthFps < tuning.behindDepthRatio * last.videoFps && emptyish && own < tuning.roomOwnShare) {
    depthBehind = `depth ${fps(last.depthFps)} < video ${fps(last.videoFps)}`;
  } else if (own < tuning.behindOwnShare) {
    depthBehind = `own depth on ${pct(own)} of frames`;
  } else if (late > tuning.behindLateShare * displayed) {
    depthBehind = `${late} depth frames late or dropped`;
  }
  // A lower level sends fewer bytes; it does not make the server compute faster.
  const serverBound = depthBehind !== null && last.serverSendMs !== null
    && last.serverSendMs < tuning.linkSendRatio * interval;
  const held = serverBound ? `${depthBehind}: the server's computing is the limit, not the link` : null;
  let behind = serverBound ? null : depthBehind;
  const renderOk = last.frameMs === null || last.frameMs <= 1.2 * interval;
  if (behind === null && last.frameMs !== null && last.frameMs > tuning.behindFrameRatio * interval) {
    behind = `render ${last.frameMs.toFixed(0)} ms per frame > ${interval.toFixed(0)} ms`;
  }
  const bufferOk = last.bufferAheadMs >= tuning.roomBuffer * last.targetAheadMs;
  let room: string | null = null;
  if (behind === null && renderOk) {
    if (own >= tuning.roomOwnShare && late === 0 && bufferOk) {
      room = `room: own depth ${pct(own)}, buffer ${(last.bufferAheadMs / 1000).toFixed(1)} s`;
    } else if (held !== null) {
      room = "room: the link keeps up (the server's computing is the limit)";
    }
  }
  return { behind, room, held };
}

export class QualityController {
  readonly history: QualityChange[] = [];
  private choice: QualityChoice;
  private current: QualityLevel;
  private window: QualitySample[] = [];
  private behindSince: number | null = null;
  private roomSince: number | null = null;
  private quietUntil = Number.NEGATIVE_INFINITY;
  /** Wait before stepping up INTO each level (doubled by each failed try). */
  private readonly upWait = new Map<QualityLevel, number>();
  private lastUp: { timeMs: number; to: QualityLevel } | null = null;
  /** Why the level is what it is (the HUD's text). */
  reason: string;

  constructor(
    choice: QualityChoice,
    private readonly tuning: QualityTuning = DEFAULT_TUNING,
    start: QualityLevel = "quality",
  ) {
    this.choice = choice;
    this.current = choice === "auto" ? start : choice;
    this.reason = choice === "auto" ? "start" : "chosen";
  }

  get level(): QualityLevel {
    return this.current;
  }

  get auto(): boolean {
    return this.choice === "auto";
  }

  /** "balanced (auto): depth 9 fps < video 24 fps" */
  get label(): string {
    return `${this.current} (${this.auto ? "auto" : "fixed"}): ${this.reason}`;
  }

  /** The user (URL, select) chose a level or auto; a fixed level never changes by itself. */
  choose(choice: QualityChoice, timeMs: number): QualityChange | null {
    this.choice = choice;
    this.resetEvidence(timeMs);
    this.lastUp = null;
    if (choice === "auto") {
      this.reason = "auto chosen";
      return null;
    }
    return this.change(choice, timeMs, "chosen", false);
  }

  /** A seek (or anything that empties the buffer on purpose): start judging afresh. */
  noteSeek(timeMs: number): void {
    this.resetEvidence(timeMs);
  }

  /** Take a sample; returns the change to apply, if any. */
  update(sample: QualitySample): QualityChange | null {
    if (!sample.playing) {
      // Paused frames say nothing about keeping up: start the window again on play.
      this.window = [];
      this.behindSince = null;
      this.roomSince = null;
      return null;
    }
    this.window.push(sample);
    while (this.window.length > 2 && sample.timeMs - (this.window[1] as QualitySample).timeMs >= this.tuning.windowMs) {
      this.window.shift();
    }
    if (!this.auto || sample.timeMs < this.quietUntil || this.window.length < 2) return null;
    const { behind, room, held } = judge(this.window, this.tuning);
    const t = sample.timeMs;
    this.behindSince = behind === null ? null : (this.behindSince ?? t);
    this.roomSince = room === null ? null : (this.roomSince ?? t);
    const index = QUALITY_LEVELS.indexOf(this.current);
    if (behind !== null && index > 0 && t - (this.behindSince as number) >= this.tuning.downAfterMs) {
      const to = QUALITY_LEVELS[index - 1] as QualityLevel;
      if (this.lastUp !== null && this.lastUp.to === this.current && t - this.lastUp.timeMs < this.tuning.probeMs) {
        const wait = this.upWaitFor(this.current);
        this.upWait.set(this.current, Math.min(this.tuning.maxUpAfterMs, wait * 2));
      }
      this.lastUp = null;
      return this.change(to, t, behind, true);
    }
    if (room !== null && index < QUALITY_LEVELS.length - 1) {
      const to = QUALITY_LEVELS[index + 1] as QualityLevel;
      if (t - (this.roomSince as number) >= this.upWaitFor(to)) {
        this.lastUp = { timeMs: t, to };
        return this.change(to, t, room, true);
      }
    }
    if (held !== null) this.reason = held; // why it does not step down
    return null;
  }

  private upWaitFor(level: QualityLevel): number {
    return this.upWait.get(level) ?? this.tuning.upAfterMs;
  }

  private resetEvidence(timeMs: number): void {
    this.window = [];
    this.behindSince = null;
    this.roomSince = null;
    this.quietUntil = timeMs + this.tuning.settleMs;
  }

  private change(to: QualityLevel, timeMs: number, reason: string, auto: boolean): QualityChange | null {
    this.reason = reason;
    if (to === this.current) return null;
    const change: QualityChange = { timeMs, from: this.current, to, auto, reason };
    this.current = to;
    this.history.push(change);
    this.resetEvidence(timeMs);
    return change;
  }
}
