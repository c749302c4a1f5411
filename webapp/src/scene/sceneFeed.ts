/**
 * What a scene job has made, brought to the view as the job goes: on every report of the job
 * it fetches, in order and one at a time, each chunk finished since the last and that chunk's
 * cameras (never the whole path again: it grows with the video). A failed fetch is said once
 * and tried again on the next report.
 */
import type { SceneChunk } from "../net/sceneChunk";
import { parseChunkCameras, type SceneCamera, type SceneCameras } from "../net/sceneCameras";
import type { SceneJobInfo } from "../net/scenes";

export interface SceneSource {
  chunk(index: number): Promise<SceneChunk>;
  chunkCameras(index: number): Promise<unknown>;
}

export interface SceneSink {
  addChunk(chunk: SceneChunk): void;
  /** The path so far (the cameras of every chunk added). */
  setCameras(cameras: SceneCameras): void;
  /** A fetch failed (null: the next one worked). */
  problem(message: string | null): void;
}

export class SceneFeed {
  /** Chunks added to the sink: 0..loaded-1. */
  private loaded = 0;
  private wanted = 0;
  private metric = false;
  private readonly cameras: SceneCamera[] = [];
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
    this.metric = info.metric;
    this.running ??= this.pump().finally(() => (this.running = null));
    return this.running;
  }

  stop(): void {
    this.stopped = true;
  }

  private async pump(): Promise<void> {
    try {
      // a report during the fetches raises `wanted`: the loop takes it too
      while (!this.stopped && this.loaded < this.wanted) {
        const index = this.loaded;
        const chunk = await this.source.chunk(index);
        const cameras = parseChunkCameras(await this.source.chunkCameras(index), index);
        if (this.stopped) return;
        if (chunk.index !== index) throw new Error(`asked for chunk ${index}, got chunk ${chunk.index}`);
        this.loaded++; // before the sink hears of it: what it reports counts this chunk
        this.sink.addChunk(chunk);
        this.cameras.push(...cameras);
        this.sink.setCameras({ metric: this.metric, cameras: this.cameras });
      }
      this.sink.problem(null);
    } catch (error) {
      if (!this.stopped) this.sink.problem(error instanceof Error ? error.message : String(error));
    }
  }
}
