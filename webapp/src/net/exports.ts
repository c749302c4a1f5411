/**
 * Export jobs over REST (docs/EXPORTS.md, the server's api/exports.py): start one, list a
 * session's, cancel or delete one, and follow one's progress as server-sent events.
 */
import { ApiError, errorFromResponse, getJson } from "./api";
import type { ExportJobInfo, ExportJobList, ExportRequest } from "./protocol";

export type ExportFormat = ExportRequest["format"];
export type ExportState = ExportJobInfo["state"];

/** States after which a job changes no more. */
export const FINISHED_STATES: readonly ExportState[] = ["done", "failed", "cancelled"];

export function isFinished(state: ExportState): boolean {
  return FINISHED_STATES.includes(state);
}

function exportsPath(sessionId: string): string {
  return `/api/sessions/${encodeURIComponent(sessionId)}/exports`;
}

async function send(method: "POST" | "DELETE", path: string, body?: unknown): Promise<string> {
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
  const text = await response.text();
  if (!response.ok) throw errorFromResponse(response.status, text);
  return text;
}

/** `POST .../exports`: a new job, or the same job when an identical one is queued, running or done. */
export async function startExport(sessionId: string, request: ExportRequest): Promise<ExportJobInfo> {
  return JSON.parse(await send("POST", exportsPath(sessionId), request)) as ExportJobInfo;
}

/** The session's jobs, oldest first (they outlive the tab that started them). */
export async function listExports(sessionId: string, signal?: AbortSignal): Promise<ExportJobInfo[]> {
  return (await getJson<ExportJobList>(exportsPath(sessionId), signal)).jobs;
}

export function getExport(job: Pick<ExportJobInfo, "url">, signal?: AbortSignal): Promise<ExportJobInfo> {
  return getJson<ExportJobInfo>(job.url, signal);
}

/** Cancel a queued or running job (its partial file goes), or delete a finished one and its file. */
export async function deleteExport(job: Pick<ExportJobInfo, "url">): Promise<void> {
  try {
    await send("DELETE", job.url);
  } catch (error) {
    // already gone (cancelled elsewhere, or forgotten): what the caller wanted
    if (!(error instanceof ApiError && error.status === 404)) throw error;
  }
}

export interface ExportWatch {
  close(): void;
}

/**
 * Follow a job: `onInfo` gets every `job` event until the job finishes, then the stream is
 * closed. EventSource reconnects by itself after a dropped connection; when the server
 * refuses the stream (the job is gone), `onLost` is called once and nothing more.
 */
export function watchExport(
  job: Pick<ExportJobInfo, "events_url">,
  onInfo: (info: ExportJobInfo) => void,
  onLost: () => void,
): ExportWatch {
  const source = new EventSource(job.events_url);
  let closed = false;
  const close = (): void => {
    closed = true;
    source.close();
  };
  source.addEventListener("job", (event: MessageEvent<string>) => {
    if (closed) return;
    let info: ExportJobInfo;
    try {
      info = JSON.parse(event.data) as ExportJobInfo;
    } catch {
      return; // a garbled event: the next one says the same and more
    }
    if (isFinished(info.state)) close();
    onInfo(info);
  });
  source.addEventListener("error", () => {
    if (closed || source.readyState !== EventSource.CLOSED) return;
    closed = true;
    onLost();
  });
  return { close };
}
