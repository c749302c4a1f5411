/**
 * Scene jobs over REST (docs/SCENE.md, the server's api/scenes.py): start one on a session,
 * read or cancel it, follow its progress as server-sent events, and fetch what it has made so
 * far: the points each finished chunk added, and the cameras.
 */
import { ApiError, errorFromResponse, getJson } from "./api";
import { parseSceneChunk, type SceneChunk } from "./sceneChunk";

export type SceneState = "queued" | "running" | "done" | "failed" | "cancelled";

export interface SceneProgress {
  chunks_done: number;
  chunks_total: number;
  frames_done: number;
  frames_total: number;
}

export interface SceneFile {
  name: string;
  bytes: number;
}

/** A scene job as the server reports it. */
export interface SceneJobInfo {
  id: string;
  session_id: string;
  state: SceneState;
  progress: SceneProgress;
  /** Metric depth and poses (metres), or relative (arbitrary scale). */
  metric: boolean;
  /** The finished files (empty until done). */
  files: SceneFile[];
  error: string | null;
  chunk_frames: number;
  overlap: number;
  stride: number;
  /** Keyframes: every stride-th frame, or those where the picture moved on (docs/SCENE.md). */
  keyframes?: "stride" | "motion";
  /** The threshold of motion keyframes (null for stride). */
  motion?: number | null;
  /** Voxel size in world units (null until the first chunk chose it). */
  voxel: number | null;
  npz: boolean;
  /** Points in the cloud so far. */
  points: number;
  /** Keyframes placed per second. */
  fps: number;
  created_at: number;
}

/** `POST .../scenes`: every field optional (the server's defaults). */
export interface SceneRequest {
  chunk_frames?: number;
  overlap?: number;
  stride?: number;
  keyframes?: "stride" | "motion";
  motion?: number;
  voxel?: number;
  npz?: boolean;
}

export const FINISHED_SCENE_STATES: readonly SceneState[] = ["done", "failed", "cancelled"];

export function isSceneFinished(state: SceneState): boolean {
  return FINISHED_SCENE_STATES.includes(state);
}

export function scenePath(sessionId: string, jobId?: string): string {
  const base = `/api/sessions/${encodeURIComponent(sessionId)}/scenes`;
  return jobId === undefined ? base : `${base}/${encodeURIComponent(jobId)}`;
}

/** Where a finished job's file downloads from. */
export function sceneFileUrl(job: Pick<SceneJobInfo, "id" | "session_id">, name: string): string {
  return `${scenePath(job.session_id, job.id)}/files/${encodeURIComponent(name)}`;
}

async function request(method: "POST" | "DELETE" | "GET", path: string, body?: unknown): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: body === undefined ? { Accept: "application/json" } : { Accept: "application/json", "Content-Type": "application/json" },
      body: body === undefined ? null : JSON.stringify(body),
    });
  } catch {
    throw errorFromResponse(0, "");
  }
  if (!response.ok) throw errorFromResponse(response.status, await response.text());
  return response;
}

/** Start a scene job (202); a model without a camera head is 422 `no_camera_head`. */
export async function startScene(sessionId: string, body: SceneRequest): Promise<SceneJobInfo> {
  return (await (await request("POST", scenePath(sessionId), body)).json()) as SceneJobInfo;
}

export function getScene(sessionId: string, jobId: string, signal?: AbortSignal): Promise<SceneJobInfo> {
  return getJson<SceneJobInfo>(scenePath(sessionId, jobId), signal);
}

/** Cancel a job; one already gone (404) is what the caller wanted. */
export async function cancelScene(job: Pick<SceneJobInfo, "id" | "session_id">): Promise<void> {
  try {
    await request("DELETE", scenePath(job.session_id, job.id));
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) throw error;
  }
}

/** The points chunk `index` added (404 until that chunk is done). */
export async function fetchSceneChunk(job: Pick<SceneJobInfo, "id" | "session_id">, index: number): Promise<SceneChunk> {
  const response = await request("GET", `${scenePath(job.session_id, job.id)}/chunks/${index}`);
  return parseSceneChunk(await response.arrayBuffer());
}

/** cameras.json as far as the job has got (parse it with parseSceneCameras); it grows with the video. */
export async function fetchSceneCameras(job: Pick<SceneJobInfo, "id" | "session_id">): Promise<unknown> {
  return getJson<unknown>(`${scenePath(job.session_id, job.id)}/cameras`);
}

/** The cameras of chunk `index`'s new keyframes (parse with parseChunkCameras; 404 until done). */
export async function fetchChunkCameras(job: Pick<SceneJobInfo, "id" | "session_id">, index: number): Promise<unknown> {
  return getJson<unknown>(`${scenePath(job.session_id, job.id)}/chunks/${index}/cameras`);
}

export interface SceneWatch {
  close(): void;
}

/**
 * Follow a job: `onInfo` gets every event until the job finishes, then the stream is closed.
 * EventSource reconnects by itself after a dropped connection; when the server refuses the
 * stream (the job is gone), `onLost` is called once and nothing more.
 */
export function watchScene(
  job: Pick<SceneJobInfo, "id" | "session_id">,
  onInfo: (info: SceneJobInfo) => void,
  onLost: () => void,
): SceneWatch {
  const source = new EventSource(`${scenePath(job.session_id, job.id)}/events`);
  let closed = false;
  const close = (): void => {
    closed = true;
    source.close();
  };
  const receive = (event: MessageEvent<string>): void => {
    if (closed) return;
    let info: SceneJobInfo;
    try {
      info = JSON.parse(event.data) as SceneJobInfo;
    } catch {
      return; // a garbled event: the next one says the same and more
    }
    if (isSceneFinished(info.state)) close();
    onInfo(info);
  };
  source.addEventListener("message", receive);
  source.addEventListener("job", receive);
  source.addEventListener("error", () => {
    if (closed || source.readyState !== EventSource.CLOSED) return;
    closed = true;
    onLost();
  });
  return { close };
}
