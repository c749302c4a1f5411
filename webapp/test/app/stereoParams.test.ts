import { describe, expect, it } from "vitest";
import { parseStereoParams } from "../../src/app/stereoParams";
import { DEFAULT_STEREO } from "../../src/render/stereo";

describe("stereo URL parameters", () => {
  it("defaults to automatic comfort and life-size VR", () => {
    expect(parseStereoParams("")).toEqual(DEFAULT_STEREO);
  });

  it("reads strength, convergence, a manual separation, the VR scale and eye height, clamped", () => {
    const s = parseStereoParams("?strength=5&convergence=0.5&eyeSep=0.1&vrScale=Screen&eyeHeight=1.2");
    expect(s).toMatchObject({ strength: 2, convergence: 0.5, auto: false, eyeSep: 0.1, vrScale: "screen", eyeHeight: 1.2 });
    expect(parseStereoParams("?vrScale=huge&strength=x").vrScale).toBe("life");
  });
});
