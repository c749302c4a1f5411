/**
 * What a scene job has made, brought to the view as the job goes: on every report of the job
 * it fetches, in order and one at a time, the chunks finished since the last, and then the
 * cameras once more. A failed fetch is said once and tried again on the next report.
 */
import type { SceneChunk } from "../net/sceneChunk";
import { parseSceneCameras, type SceneCameras } from "../net/sceneCameras";
import type { SceneJobInfo } from "../net/scenes";

export interface SceneSource {
  chunk(index: number): Promise<SceneChunk>;
  cameras(): Promise<unknown>;
}

export interface SceneSink {
  addChunk(chunk: SceneChunk): void;
  setCameras(cameras: SceneCameras): void;
  /** A fetch failed (null: the next one worked). */
  problem(message: string | null): void;
}

export class SceneFeed {
  /** Chunks added to the sink: 0..loaded-1. */
  private loaded = 0;
  private wanted = 0;
  /** The job's report the cameras were last fetched for, and the newest report. */
  private camerasFor = "";
  private latest = "";
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly source: SceneSource,
    private readonly sink: SceneSink,
  ) {}

  get chunksLoaded(): number {
    return this.loaded;
  }

  /** A report of the job: fetch what it has finished since. Resolves when caught up. */
  update(info: SceneJobInfo): Promise<void> {
    this.wanted = Math.max(this.wanted, info.progress.chunks_done);
    this.latest = `${info.progress.chunks_done}/${info.progress.frames_done}/${info.state}`;
    this.running ??= this.pump().finally(() => (this.running = null));
    return this.running;
  }

  stop(): void {
    this.stopped = true;
  }

  private async pump(): Promise<void> {
    try {
      // a report during the fetches raises `wanted`: the loop takes it too
      while (!this.stopped && (this.loaded < this.wanted || this.camerasFor !== this.latest)) {
        if (this.loaded < this.wanted) {
          const chunk = await this.source.chunk(this.loaded);
          if (this.stopped) return;
          if (chunk.index !== this.loaded) throw new Error(`asked for chunk ${this.loaded}, got chunk ${chunk.index}`);
          this.sink.addChunk(chunk);
          this.loaded++;
        } else {
          const key = this.latest;
          const cameras = parseSceneCameras(await this.source.cameras());
          if (this.stopped) return;
          this.sink.setCameras(cameras);
          this.camerasFor = key;
        }
      }
      this.sink.problem(null);
    } catch (error) {
      if (!this.stopped) this.sink.problem(error instanceof Error ? error.message : String(error));
    }
  }
}
