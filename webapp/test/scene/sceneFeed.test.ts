import { describe, expect, it } from "vitest";
import { parseSceneChunk, type SceneChunk } from "../../src/net/sceneChunk";
import type { SceneCameras } from "../../src/net/sceneCameras";
import type { SceneJobInfo, SceneState } from "../../src/net/scenes";
import { SceneFeed } from "../../src/scene/sceneFeed";
import { chunkBytes } from "../sceneChunkFixture";

const info = (chunks_done: number, state: SceneState = "running", frames_done = chunks_done * 8): SceneJobInfo => ({
  chunk_frames: 8, overlap: 2, stride: 1, voxel: null, npz: false, points: 0, fps: 0, created_at: 0,
  id: "j", session_id: "s", state, metric: false, files: [], error: null,
  progress: { chunks_done, chunks_total: 4, frames_done, frames_total: 32 },
});

const chunkCameras = (k: number) => ({
  chunk: k,
  frames: Array.from({ length: 8 }, (_, i) => ({
    index: k * 8 + i, time_s: i, camera_to_world: [1, 0, 0, i, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], fx: 1, fy: 1, cx: 0, cy: 0, width: 2, height: 2,
  })),
});

function harness(failChunk: number | null = null) {
  const asked: string[] = [];
  const added: number[] = [];
  const shownCameras: number[] = [];
  const problems: Array<string | null> = [];
  const loadedWhenTold: number[] = [];
  let fail = failChunk;
  const feed = new SceneFeed(
    {
      chunk: async (index): Promise<SceneChunk> => {
        asked.push(`chunk ${index}`);
        if (index === fail) {
          fail = null;
          throw new Error(`chunk ${index}: 404`);
        }
        return parseSceneChunk(chunkBytes(index, Array.from({ length: index + 1 }, () => [0, 0, 1] as const)));
      },
      chunkCameras: async (index) => {
        asked.push(`cameras ${index}`);
        return chunkCameras(index);
      },
    },
    {
      addChunk: (chunk) => {
        added.push(chunk.count);
        loadedWhenTold.push(feed.chunksLoaded);
      },
      setCameras: (c: SceneCameras) => shownCameras.push(c.cameras.length),
      problem: (message) => problems.push(message),
    },
  );
  return { feed, asked, added, shownCameras, problems, loadedWhenTold };
}

describe("SceneFeed", () => {
  it("fetches each finished chunk once, in order, with that chunk's cameras only", async () => {
    const h = harness();
    await h.feed.update(info(1));
    await h.feed.update(info(3));
    expect(h.added).toEqual([1, 2, 3]);
    expect(h.asked).toEqual(["chunk 0", "cameras 0", "chunk 1", "cameras 1", "chunk 2", "cameras 2"]);
    expect(h.shownCameras).toEqual([8, 16, 24]); // the path grows by each chunk's cameras
    expect(h.feed.chunksLoaded).toBe(3);
    expect(h.loadedWhenTold).toEqual([1, 2, 3]); // a report made as a chunk lands counts it
    // the same report again, or the job's end, asks for nothing more
    await h.feed.update(info(3));
    await h.feed.update(info(3, "done"));
    expect(h.asked).toHaveLength(6);
  });

  it("takes reports that come while it fetches", async () => {
    const h = harness();
    const first = h.feed.update(info(1));
    void h.feed.update(info(2));
    await first;
    expect(h.added).toEqual([1, 2]);
  });

  it("says a failed fetch and tries again on the next report", async () => {
    const h = harness(1);
    await h.feed.update(info(2));
    expect(h.added).toEqual([1]);
    expect(h.problems).toEqual(["chunk 1: 404"]);
    await h.feed.update(info(2));
    expect(h.added).toEqual([1, 2]);
    expect(h.problems.at(-1)).toBeNull();
  });

  it("adds nothing after stop", async () => {
    const h = harness();
    const pending = h.feed.update(info(2));
    h.feed.stop();
    await pending;
    expect(h.added).toEqual([]);
  });
});
