import { describe, expect, it } from "vitest";
import { LivePairs, MAX_WAITING, RESTART_GAP } from "../../src/depth/livePairs";

function harness() {
  const released: string[] = [];
  const pairs = new LivePairs<string, number>((p) => released.push(p));
  return { pairs, released };
}

describe("LivePairs", () => {
  it("pairs a picture with its depth by index, whichever arrives first", () => {
    const { pairs, released } = harness();
    expect(pairs.addPicture(0, "p0")).toBeNull();
    expect(pairs.addDepth(0, 100)).toEqual({ index: 0, picture: "p0", depth: 100 });
    expect(pairs.addDepth(1, 101)).toBeNull(); // the JPEG decode finished after the inflate
    expect(pairs.addPicture(1, "p1")).toEqual({ index: 1, picture: "p1", depth: 101 });
    expect(pairs.lastIndex).toBe(1);
    expect(released).toEqual([]);
    expect(pairs.waiting).toEqual({ pictures: 0, depths: 0 });
  });

  it("never shows an older pair after a newer one, and frees the older pictures", () => {
    const { pairs, released } = harness();
    pairs.addPicture(3, "p3");
    pairs.addPicture(4, "p4");
    expect(pairs.addDepth(4, 104)).toMatchObject({ index: 4 });
    expect(released).toEqual(["p3"]); // its depth would come too late to be shown
    expect(pairs.addDepth(3, 103)).toBeNull();
    expect(pairs.addPicture(2, "p2")).toBeNull();
    expect(released).toEqual(["p3", "p2"]);
    expect(pairs.unpaired).toBe(2);
    expect(pairs.waiting).toEqual({ pictures: 0, depths: 0 });
  });

  it("keeps at most MAX_WAITING of each kind, letting the oldest go", () => {
    const { pairs, released } = harness();
    for (let i = 0; i < MAX_WAITING + 3; i++) pairs.addPicture(i, `p${i}`);
    expect(pairs.waiting.pictures).toBe(MAX_WAITING);
    expect(released).toEqual(["p0", "p1", "p2"]);
    for (let i = 100; i < 100 + MAX_WAITING + 2; i++) pairs.addDepth(i, i);
    expect(pairs.waiting.depths).toBe(MAX_WAITING);
    expect(pairs.addPicture(100, "late")).toBeNull(); // depth 100 was let go
    expect(pairs.addPicture(101, "kept")).toBeNull();
    expect(pairs.addPicture(102, "p102")).toMatchObject({ index: 102, depth: 102 });
  });

  it("a second picture of one index replaces the first", () => {
    const { pairs, released } = harness();
    pairs.addPicture(5, "a");
    pairs.addPicture(5, "b");
    expect(released).toEqual(["a"]);
    expect(pairs.addDepth(5, 1)).toMatchObject({ picture: "b" });
  });

  it("takes an index far below the last as a new sequence (the source restarted)", () => {
    const { pairs } = harness();
    pairs.addPicture(RESTART_GAP + 10, "old");
    pairs.addDepth(RESTART_GAP + 10, 1);
    expect(pairs.addPicture(0, "new")).toBeNull();
    expect(pairs.addDepth(0, 2)).toEqual({ index: 0, picture: "new", depth: 2 });
  });

  it("clear() frees what waits (a new connection)", () => {
    const { pairs, released } = harness();
    pairs.addPicture(1, "p1");
    pairs.addDepth(2, 2);
    pairs.clear();
    expect(released).toEqual(["p1"]);
    expect(pairs.waiting).toEqual({ pictures: 0, depths: 0 });
    expect(pairs.addPicture(2, "p2")).toBeNull(); // its depth went with the old connection
  });
});
