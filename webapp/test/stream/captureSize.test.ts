import { describe, expect, it } from "vitest";
import { CAMERA_SIZE, declaredSize, fitWithin, SCREEN_BOX } from "../../src/stream/captureSize";

describe("capture size", () => {
  it("scales down to fit the box, keeping the aspect, never up", () => {
    expect(fitWithin({ width: 1920, height: 1080 }, CAMERA_SIZE)).toEqual({ width: 1280, height: 720 });
    expect(fitWithin({ width: 320, height: 240 }, CAMERA_SIZE)).toEqual({ width: 320, height: 240 });
    expect(fitWithin({ width: 1280, height: 960 }, CAMERA_SIZE)).toEqual({ width: 960, height: 720 });
    expect(fitWithin({ width: 2560, height: 1600 }, SCREEN_BOX)).toEqual({ width: 1280, height: 800 });
    expect(fitWithin({ width: 800, height: 6000 }, SCREEN_BOX)).toEqual({ width: 546, height: 4096 });
  });

  it("falls back to the box when the source has no size yet", () => {
    expect(fitWithin({ width: 0, height: 0 }, CAMERA_SIZE)).toEqual(CAMERA_SIZE);
  });

  it("declares sizes the server accepts (16..4096 a side)", () => {
    expect(declaredSize({ width: 8, height: 5000 })).toEqual({ width: 16, height: 4096 });
    expect(declaredSize({ width: 639.6, height: 480 })).toEqual({ width: 640, height: 480 });
  });
});
