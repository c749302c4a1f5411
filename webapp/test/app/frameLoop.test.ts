import { describe, expect, it } from "vitest";
import { FrameLoop, type FrameLoopParts } from "../../src/app/frameLoop";

/** A <video> that pauses on frame `index` of a 30 fps clip, with rVFC that never fires. */
function parts(displayed: number) {
  const video = Object.assign(new EventTarget(), {
    currentTime: 103.5 / 30,
    readyState: 4,
    requestVideoFrameCallback: () => 0,
  });
  const presented: number[] = [];
  const stream = {
    times: { indexForMediaTime: (t: number) => Math.floor(t * 30 + 1e-9) },
    buffer: { lastDisplayedIndex: displayed },
    onVideoFrame: (t: number) => {
      presented.push(t);
      return { frame: null };
    },
  };
  const fakes = {
    video,
    stream,
    framing: { showDepth: () => undefined },
    state: { lastAppliedDepthIndex: -1 },
    view: { onBeforeRender: () => undefined, invalidate: () => undefined },
  } as unknown as FrameLoopParts;
  return { fakes, video, presented };
}

describe("the frame loop when a playing video pauses", () => {
  it("shows the depth of the frame the video stopped on, even without its rVFC callback", () => {
    const { fakes, video, presented } = parts(102);
    const loop = new FrameLoop(fakes);
    loop.start();
    video.dispatchEvent(new Event("pause"));
    expect(presented).toEqual([video.currentTime]);
    loop.stop();
    video.dispatchEvent(new Event("pause"));
    expect(presented).toHaveLength(1); // stopped: no more
  });

  it("does nothing when the frame on screen was already presented", () => {
    const { fakes, video, presented } = parts(103);
    new FrameLoop(fakes).start();
    video.dispatchEvent(new Event("pause"));
    expect(presented).toEqual([]);
  });
});
