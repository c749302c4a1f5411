/**
 * The stereo settings a URL may set (documented in params.ts's table with the other parameters):
 * `strength`, `convergence`, `eyeSep` (a manual separation: automatic comfort off), `vrScale`
 * and `eyeHeight`. Out-of-range numbers are clamped, unknown words ignored.
 */
import { STRENGTH_RANGE } from "../render/comfort";
import { DEFAULT_STEREO, type StereoSettings } from "../render/stereo";

export const EYE_HEIGHT_RANGE = [0.3, 2.5] as const;
export const EYE_SEP_RANGE = [0, 0.3] as const;

function number(query: URLSearchParams, name: string, range: readonly [number, number]): number | null {
  const raw = query.get(name);
  if (raw === null || raw.trim() === "") return null;
  const value = Number(raw);
  return Number.isFinite(value) ? Math.min(range[1], Math.max(range[0], value)) : null;
}

export function parseStereoParams(search: string): StereoSettings {
  const query = new URLSearchParams(search);
  const settings: StereoSettings = { ...DEFAULT_STEREO };
  settings.strength = number(query, "strength", STRENGTH_RANGE) ?? settings.strength;
  settings.convergence = number(query, "convergence", [0, 1]) ?? settings.convergence;
  settings.eyeHeight = number(query, "eyeHeight", EYE_HEIGHT_RANGE) ?? settings.eyeHeight;
  const eyeSep = number(query, "eyeSep", EYE_SEP_RANGE);
  if (eyeSep !== null) Object.assign(settings, { auto: false, eyeSep });
  const scale = (query.get("vrScale") ?? "").trim().toLowerCase();
  if (scale === "life" || scale === "screen") settings.vrScale = scale;
  return settings;
}
