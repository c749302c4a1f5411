import { describe, expect, it } from "vitest";
import { ThumbstickSeek } from "../../src/xr/controllers";

describe("ThumbstickSeek", () => {
  it("turns thumbstick pushes into seeks, repeating while held", () => {
    const stick = new ThumbstickSeek();
    expect(stick.update(0.1, 0)).toBe(0);
    expect(stick.update(0.9, 10)).toBe(1);
    expect(stick.update(0.9, 100)).toBe(0);
    expect(stick.update(0.9, 500)).toBe(1);
    expect(stick.update(0, 600)).toBe(0);
    expect(stick.update(-0.9, 610)).toBe(-1);
  });
});
