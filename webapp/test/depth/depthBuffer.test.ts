import { describe, expect, it } from "vitest";
import { DepthBuffer } from "../../src/depth/depthBuffer";
import type { DepthFrame } from "../../src/depth/depthFrame";
import { FrameTimes } from "../../src/depth/frameTimes";

function cfr(fps: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.round((i / fps) * 1e6) / 1e6);
}

function frame(index: number, size = 4): DepthFrame {
  return {
    index,
    width: size,
    height: size,
    scale: 1,
    bias: 0,
    metric: false,
    randomWeights: false,
    stabilized: false,
    generation: 0,
    samples: new Uint16Array(size * size).fill(index % 65536),
  };
}

describe("DepthBuffer frame selection", () => {
  for (const fps of [24, 30, 60]) {
    it(`applies the exact frame's depth at ${fps} fps, on and just before boundaries`, () => {
      const times = new FrameTimes(cfr(fps, 300));
      const buffer = new DepthBuffer(times, { maxFrames: 1000, keepBehind: 1000 });
      for (let i = 0; i < 300; i++) buffer.put(frame(i));
      for (const i of [0, 1, 2, 23, 24, 59, 60, 150, 299]) {
        const on = buffer.select(i / fps);
        expect(on.index).toBe(i);
        expect(on.own).toBe(true);
        expect(on.frame?.index).toBe(i);
        if (i > 0) {
          const before = buffer.select(i / fps - 0.25 / fps);
          expect(before.index).toBe(i - 1);
          expect(before.frame?.index).toBe(i - 1);
        }
      }
    });
  }

  it("selects exactly on a VFR table", () => {
    const ms = [0, 33, 50, 100, 133, 250, 266, 400, 433, 500, 700, 716, 733, 1000];
    const times = new FrameTimes(ms.map((m) => m / 1000), 0.5);
    const buffer = new DepthBuffer(times, { keepBehind: 100 });
    ms.forEach((_, i) => buffer.put(frame(i)));
    ms.forEach((m, i) => {
      expect(buffer.select(0.5 + m / 1000).frame?.index).toBe(i);
      if (i > 0) expect(buffer.select(0.5 + m / 1000 - 0.0015).frame?.index).toBe(i - 1);
    });
  });

  it("holds the last applied frame when the exact one is missing, and counts the miss", () => {
    const times = new FrameTimes(cfr(30, 100));
    const buffer = new DepthBuffer(times);
    expect(buffer.select(0).frame).toBeNull(); // nothing yet: nothing to show, a miss
    buffer.put(frame(1));
    buffer.put(frame(3));
    expect(buffer.select(1 / 30)).toMatchObject({ index: 1, own: true });
    const held = buffer.select(2 / 30);
    expect(held.index).toBe(2);
    expect(held.own).toBe(false);
    expect(held.frame?.index).toBe(1); // never blank
    expect(buffer.select(3 / 30)).toMatchObject({ index: 3, own: true });
    expect(buffer.displayed).toBe(4);
    expect(buffer.withOwnDepth).toBe(2);
    expect(buffer.misses).toBe(2);
    expect(buffer.lastApplied?.index).toBe(3);
  });

  it("applies depth that arrives after its frame was displayed (refresh)", () => {
    const buffer = new DepthBuffer(new FrameTimes(cfr(30, 100)));
    buffer.put(frame(4));
    buffer.select(4 / 30);
    expect(buffer.select(5 / 30).frame?.index).toBe(4);
    expect(buffer.refresh()).toBeNull();
    buffer.put(frame(5));
    expect(buffer.refresh()?.index).toBe(5);
    expect(buffer.lastApplied?.index).toBe(5);
    expect(buffer.refresh()).toBeNull();
    expect(buffer.displayed).toBe(2);
  });

  it("stays within maxFrames and maxBytes, evicting behind first, then farthest ahead", () => {
    const times = new FrameTimes(cfr(30, 5000));
    const buffer = new DepthBuffer(times, { maxFrames: 50, keepBehind: 5, maxBytes: 1 << 30 });
    buffer.select(100 / 30);
    for (let i = 90; i < 400; i++) buffer.put(frame(i));
    expect(buffer.size).toBe(50);
    const kept = buffer.indices();
    // over the cap, frames behind the playhead go first, then the farthest ahead
    expect(kept[0]).toBe(100);
    expect(kept[kept.length - 1]).toBe(149);
    const roomy = new DepthBuffer(times, { maxFrames: 100, keepBehind: 5 });
    roomy.select(100 / 30);
    for (let i = 90; i < 150; i++) roomy.put(frame(i));
    expect(roomy.indices()[0]).toBe(95); // under the cap, keepBehind frames stay behind
    const bytes = new DepthBuffer(times, { maxFrames: 1000, maxBytes: 10 * 32, keepBehind: 5 });
    for (let i = 0; i < 100; i++) bytes.put(frame(i));
    expect(bytes.byteSize).toBeLessThanOrEqual(10 * 32);
    expect(bytes.size).toBe(10);
  });

  it("evicts frames far behind as the playhead moves, but keeps holding the applied one", () => {
    const times = new FrameTimes(cfr(30, 1000));
    const buffer = new DepthBuffer(times, { keepBehind: 3 });
    for (let i = 0; i < 20; i++) buffer.put(frame(i));
    buffer.select(10 / 30);
    expect(buffer.indices()[0]).toBe(7);
    expect(buffer.select(24 / 30).frame?.index).toBe(19); // played on: the nearest
    expect(buffer.select(50 / 30).frame).toBeNull(); // a jump (a seek not yet reported): flat
    expect(buffer.size).toBe(0);
    expect(buffer.select(51 / 30).frame).toBeNull(); // frame 10's relief is not frame 51's
  });

  it("holds the last depth through a slow server's gaps while playing on, never across a seek", () => {
    const times = new FrameTimes(cfr(30, 1000));
    const buffer = new DepthBuffer(times, { holdFrames: 8 });
    buffer.put(frame(0));
    expect(buffer.select(0).own).toBe(true);
    for (let i = 1; i < 20; i++) expect(buffer.select(i / 30).frame?.index).toBe(0); // 3 fps depth
    buffer.put(frame(20));
    expect(buffer.select(20 / 30).own).toBe(true);
    expect(buffer.select(28 / 30).frame?.index).toBe(20); // a few frames skipped: held
    for (let i = 29; i <= 80; i++) expect(buffer.select(i / 30).frame?.index).toBe(20); // 2 s
    expect(buffer.select(81 / 30).frame).toBeNull(); // over holdPlayingS behind: flat
    buffer.put(frame(82));
    expect(buffer.select(82 / 30).own).toBe(true);
    buffer.prune(500, 60); // a seek
    expect(buffer.select(500 / 30).frame).toBeNull();
    expect(buffer.select(501 / 30).frame).toBeNull();
    buffer.put(frame(503));
    expect(buffer.select(502 / 30).frame?.index).toBe(503); // the new position's depth, near
    expect(buffer.select(503 / 30).own).toBe(true);
    for (let i = 504; i <= 515; i++) expect(buffer.select(i / 30).frame?.index).toBe(503); // held
    buffer.prune(495, 60); // a small step back keeps it
    expect(buffer.select(495 / 30).frame?.index).toBe(503);
  });

  it("after a seek, never shows the old position's depth: flat, or the nearest new depth", () => {
    const times = new FrameTimes(cfr(30, 1000));
    const buffer = new DepthBuffer(times, { holdFrames: 8 });
    for (let i = 0; i < 20; i++) buffer.put(frame(i));
    expect(buffer.select(10 / 30).own).toBe(true);
    buffer.prune(300, 60); // seek to frame 300 while playing
    expect(buffer.select(300 / 30).frame).toBeNull();
    expect(buffer.select(301 / 30).frame).toBeNull();
    buffer.put(frame(318)); // the first depth for the new position, past the target
    expect(buffer.select(309 / 30).frame).toBeNull(); // 9 frames away: still flat
    expect(buffer.select(310 / 30)).toMatchObject({ own: false, frame: { index: 318 } });
    expect(buffer.select(312 / 30).frame?.index).toBe(318);
    buffer.put(frame(313));
    expect(buffer.select(314 / 30).frame?.index).toBe(313); // the nearest, behind first
    expect(buffer.select(318 / 30)).toMatchObject({ own: true, frame: { index: 318 } });
    expect(buffer.select(326 / 30).frame?.index).toBe(318); // held as it plays on
    for (let i = 327; i <= 378; i++) expect(buffer.select(i / 30).frame?.index).toBe(318); // 2 s
    expect(buffer.select(379 / 30).frame).toBeNull();
  });

  it("counts a late own depth for a frame still on screen only when credited", () => {
    const buffer = new DepthBuffer(new FrameTimes(cfr(30, 100)));
    expect(buffer.select(0).own).toBe(false); // the first picture comes before its depth
    expect(buffer.creditLateDepth()).toBe(false); // nothing applied yet
    buffer.put(frame(0));
    expect(buffer.refresh()?.index).toBe(0);
    expect(buffer.creditLateDepth()).toBe(true);
    expect(buffer.creditLateDepth()).toBe(false); // once
    expect([buffer.displayed, buffer.withOwnDepth, buffer.misses]).toEqual([1, 1, 0]);
    buffer.select(2 / 30); // a miss, holding frame 0
    expect(buffer.creditLateDepth()).toBe(false); // frame 0 is not frame 2's own depth
    expect([buffer.displayed, buffer.withOwnDepth, buffer.misses]).toEqual([2, 1, 1]);
  });

  it("prunes on seek to the new position's window", () => {
    const times = new FrameTimes(cfr(30, 1000));
    const buffer = new DepthBuffer(times, { keepBehind: 2 });
    for (let i = 0; i < 100; i++) buffer.put(frame(i));
    buffer.prune(50, 10);
    expect(buffer.indices()).toEqual(Array.from({ length: 13 }, (_, k) => 48 + k));
  });

  it("measures the depth buffered ahead without gaps", () => {
    const times = new FrameTimes(cfr(25, 100));
    const buffer = new DepthBuffer(times);
    for (const i of [10, 11, 12, 13, 15]) buffer.put(frame(i));
    buffer.select(10 / 25);
    expect(buffer.aheadMs()).toBeCloseTo(160, 6); // frames 10..13 → until frame 14 starts
    buffer.select(14 / 25);
    expect(buffer.aheadMs()).toBe(0);
  });
});
