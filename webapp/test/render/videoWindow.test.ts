import { describe, expect, it } from "vitest";
import { videoWindow, WHOLE_TEXTURE } from "../../src/render/videoWindow";

describe("videoWindow", () => {
  it("uses the whole texture when nothing is padded", () => {
    expect(videoWindow({ width: 320, height: 180, padRight: 0, padBottom: 0, rotation: 0 })).toEqual(WHOLE_TEXTURE);
  });

  it("leaves out a padded right column and bottom row (uv from the bottom left)", () => {
    const w = videoWindow({ width: 162, height: 92, padRight: 1, padBottom: 1, rotation: 0 });
    expect(w.scaleU).toBeCloseTo(161 / 162, 12);
    expect(w.offsetU).toBe(0);
    expect(w.scaleV).toBeCloseTo(91 / 92, 12);
    expect(w.offsetV).toBeCloseTo(1 / 92, 12); // the bottom row is the padding
  });

  it("turns the padding with the video's rotation", () => {
    const coded = { width: 162, height: 92, padRight: 1, padBottom: 0 };
    // 90° clockwise: shown 92 wide and 162 high, the padded column at the bottom
    expect(videoWindow({ ...coded, rotation: 90 })).toMatchObject({ scaleU: 1, offsetU: 0, offsetV: 1 / 162 });
    // 180°: at the left
    expect(videoWindow({ ...coded, rotation: 180 })).toMatchObject({ offsetU: 1 / 162, scaleV: 1, offsetV: 0 });
    // 270°: at the top
    const top = videoWindow({ ...coded, rotation: 270 });
    expect(top.offsetV).toBe(0);
    expect(top.scaleV).toBeCloseTo(161 / 162, 12);
  });
});
