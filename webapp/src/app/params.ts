/**
 * URL parameters of the viewer. Every one is optional; unknown values fall back to the default.
 *
 * | param         | default  | meaning                                                                    |
 * |---------------|----------|----------------------------------------------------------------------------|
 * | `session`     | (none)   | open this session id in the player (the upload page sets it after upload)  |
 * | `mode`        | `normal` | `normal` (orbit), `sbs` (side-by-side stereo), `cross` (cross-eyed: halves |
 * |               |          | swapped), `tb` / `half-tb` (top and bottom, full or squeezed), `anaglyph`  |
 * |               |          | (red-cyan, Dubois colours), `anaglyph-plain` (red-cyan, plain) or `vr`     |
 * |               |          | (WebXR immersive-vr); the player keeps it current as the mode changes, so  |
 * |               |          | a reload keeps the mode                                                    |
 * | `strength`    | `1`      | stereo depth strength, 0..2: automatic comfort keeps disparity within      |
 * |               |          | 3 % × strength of the width (never over 5 %); in VR as a screen, depth is  |
 * |               |          | scaled by it about the zero-parallax plane                                 |
 * | `convergence` | `0.25`   | zero-parallax plane, 0..1 between the nearest and the farthest depth       |
 * | `eyeSep`      | (auto)   | a manual eye separation in scene units (0..0.3): automatic comfort off     |
 * | `vrScale`     | `life`   | VR for a metric model: `life` (life-size) or `screen`; relative: a screen  |
 * | `eyeHeight`   | `1.6`    | VR life-size: the recorded camera's height above the floor, metres         |
 * | `density`     | `256`    | mesh segments along the longer side of the video (16..1024); with a software |
 * |               |          | WebGL renderer (SwiftShader, llvmpipe) and no `density` given: 64            |
 * | `downsample`  | `1`      | depth downsample on the wire, `?downsample=N` on the socket (1..16)         |
 * | `ahead`       | `2`      | seconds of depth requested ahead of the playhead (`window.ahead_s`)        |
 * | `maxInflight` | `8`      | frames queued or computing at once on the server (`window.max_inflight`)   |
 * | `encoding`    | `auto`   | depth payloads on the wire: `raw`, `zlib`, `predicted` (lossless, ~8x       |
 * |               |          | smaller than raw on rendered depth) or `auto` (the best the server offers, |
 * |               |          | at every quality level); `?encoding=` on the socket lists what it reads   |
 * | `quality`     | `auto`   | `auto`: adaptive quality picks the level from what the viewer measures;   |
 * |               |          | `quality`, `balanced`, `smooth`: that level, fixed. `quality` is the       |
 * |               |          | `density`/`downsample`/`ahead` above; each step down halves the density,  |
 * |               |          | doubles the downsample and asks for 1.5× / 2× the look-ahead              |
 * | `stats`       | off      | `1`: show the HUD (depth fps, latency, buffer, drops...) from the start   |
 * | `debug`       | off      | `1`: log protocol events to the console and show extra HUD lines           |
 * | `xr`          | (none)   | `emulate`: install the iwer WebXR emulator (Meta Quest 3, stereo) first   |
 * | `e2e`         | off      | `1`: renderer keeps its drawing buffer (pixels readable), video muted      |
 * | `remote`      | off      | `1`: with `session`, this device is a remote control for the players of   |
 * |               |          | that session (play, pause, seek, mode, open another video); no 3D view    |
 * | `scene`       | (none)   | with `session`: show that session's scene job JOB_ID (point cloud and     |
 * |               |          | camera path, growing as chunks finish) instead of the player; `mode`,     |
 * |               |          | `strength`, `convergence`, `eyeSep` and `eyeHeight` apply there too        |
 *
 * Booleans accept `1`, `true`, `yes`, `on` and a bare `?stats`.
 */

import { ENCODING_CHOICES, type EncodingChoice } from "../net/depthCodec";
import { STEREO_MODES } from "../render/stereo";
import { isQualityChoice, type QualityChoice } from "../stream/qualityController";

export const VIEW_MODES = ["normal", ...STEREO_MODES, "vr"] as const;
export type ViewMode = (typeof VIEW_MODES)[number];

export interface ViewerParams {
  session: string | null;
  mode: ViewMode;
  density: number;
  /** Whether `density` came from the URL (otherwise a software renderer gets a lighter mesh). */
  densityFromUrl: boolean;
  downsample: number;
  ahead: number;
  maxInflight: number;
  encoding: EncodingChoice;
  quality: QualityChoice;
  stats: boolean;
  debug: boolean;
  xrEmulate: boolean;
  e2e: boolean;
  remote: boolean;
  /** A scene job of `session` to show (the scene view) instead of the player. */
  scene: string | null;
}

export const PARAM_DEFAULTS: Readonly<ViewerParams> = Object.freeze({
  session: null,
  mode: "normal",
  density: 256,
  densityFromUrl: false,
  downsample: 1,
  ahead: 2,
  maxInflight: 8,
  encoding: "auto",
  quality: "auto",
  stats: false,
  debug: false,
  xrEmulate: false,
  e2e: false,
  remote: false,
  scene: null,
});

const TRUE_WORDS = new Set(["", "1", "true", "yes", "on"]);

function flag(query: URLSearchParams, name: string): boolean {
  const value = query.get(name);
  return value !== null && TRUE_WORDS.has(value.trim().toLowerCase());
}

function integer(query: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = query.get(name);
  if (raw === null || raw.trim() === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value)) return fallback;
  return Math.min(max, Math.max(min, Math.round(value)));
}

function real(query: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = query.get(name);
  if (raw === null || raw.trim() === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value)) return fallback;
  return Math.min(max, Math.max(min, value));
}

export function isViewMode(value: string): value is ViewMode {
  return (VIEW_MODES as readonly string[]).includes(value);
}

function encodingChoice(value: string): EncodingChoice {
  const choice = ENCODING_CHOICES.find((c) => c === value);
  return choice ?? PARAM_DEFAULTS.encoding;
}

/** Parse a query string (`location.search`) into the viewer's parameters. */
export function parseParams(search: string): ViewerParams {
  const query = new URLSearchParams(search);
  const mode = (query.get("mode") ?? "").trim().toLowerCase();
  const session = (query.get("session") ?? "").trim();
  const quality = (query.get("quality") ?? "").trim().toLowerCase();
  const scene = (query.get("scene") ?? "").trim();
  return {
    session: session === "" ? null : session,
    mode: isViewMode(mode) ? mode : PARAM_DEFAULTS.mode,
    density: integer(query, "density", PARAM_DEFAULTS.density, 16, 1024),
    densityFromUrl: (query.get("density") ?? "").trim() !== "" && Number.isFinite(Number(query.get("density"))),
    downsample: integer(query, "downsample", PARAM_DEFAULTS.downsample, 1, 16),
    ahead: real(query, "ahead", PARAM_DEFAULTS.ahead, 0.1, 60),
    maxInflight: integer(query, "maxInflight", PARAM_DEFAULTS.maxInflight, 1, 256),
    encoding: encodingChoice((query.get("encoding") ?? "").trim().toLowerCase()),
    quality: isQualityChoice(quality) ? quality : PARAM_DEFAULTS.quality,
    stats: flag(query, "stats"),
    debug: flag(query, "debug"),
    xrEmulate: (query.get("xr") ?? "").trim().toLowerCase() === "emulate",
    e2e: flag(query, "e2e"),
    remote: flag(query, "remote"),
    scene: scene === "" ? null : scene,
  };
}

/** The same URL with `session` set (or removed), other parameters kept. */
export function withSession(href: string, sessionId: string | null): string {
  const url = new URL(href);
  if (sessionId === null) url.searchParams.delete("session");
  else url.searchParams.set("session", sessionId);
  return url.toString();
}

/** The same URL with `mode` set (removed for the default), other parameters kept. */
export function withMode(href: string, mode: ViewMode): string {
  const url = new URL(href);
  if (mode === PARAM_DEFAULTS.mode) url.searchParams.delete("mode");
  else url.searchParams.set("mode", mode);
  return url.toString();
}

/** The same URL with `remote=1` set or removed, other parameters kept. */
export function withRemote(href: string, remote: boolean): string {
  const url = new URL(href);
  if (remote) url.searchParams.set("remote", "1");
  else url.searchParams.delete("remote");
  return url.toString();
}

/** The same URL with `scene` set (or removed), other parameters kept. */
export function withScene(href: string, jobId: string | null): string {
  const url = new URL(href);
  if (jobId === null) url.searchParams.delete("scene");
  else url.searchParams.set("scene", jobId);
  return url.toString();
}
