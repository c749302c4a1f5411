/** REST client for /api: health, sessions (upload with progress), frame times. */
import type { Health, PlaybackInfo, PlaybackReport, SessionOut } from "./protocol";

/** REST answers, mirrored from the server's models (generated into protocol.ts). */
export type SessionInfo = SessionOut;
export type HealthInfo = Health;
export type HealthStatus = Health["status"];

/** A failed request: HTTP status (0 = no answer), the server's error code and sentence. */
export class ApiError extends Error {
  override name = "ApiError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const FALLBACK_MESSAGES: Record<number, string> = {
  0: "The server could not be reached. Is it running?",
  404: "Not found: the session may have expired or been deleted.",
  413: "The file is too large for this server.",
  415: "That file is not a video the server can read.",
  422: "The server could not decode that video.",
  500: "The server failed while handling the request.",
  503: "The server is not ready yet; try again in a moment.",
};

/** The ApiError for a non-2xx answer, from its `{"error":{"code","message"}}` body if present. */
export function errorFromResponse(status: number, bodyText: string): ApiError {
  try {
    const body = JSON.parse(bodyText) as { error?: { code?: unknown; message?: unknown }; detail?: unknown };
    const error = body.error;
    if (error && typeof error.message === "string" && error.message !== "") {
      return new ApiError(status, typeof error.code === "string" ? error.code : `http_${status}`, error.message);
    }
    if (typeof body.detail === "string") return new ApiError(status, `http_${status}`, body.detail);
  } catch {
    // not JSON: fall through to a generic sentence
  }
  const generic = FALLBACK_MESSAGES[status] ?? (status >= 500 ? FALLBACK_MESSAGES[500] : undefined);
  return new ApiError(status, `http_${status}`, generic ?? `The server answered HTTP ${status}.`);
}

/** A sentence for the user, naming what went wrong. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    const prefix: Record<number, string> = { 413: "Too large", 415: "Not a video", 422: "Unreadable video" };
    const head = prefix[error.status];
    return head ? `${head}: ${error.message}` : error.message;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, { headers: { Accept: "application/json" }, signal: signal ?? null });
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new ApiError(0, "network", FALLBACK_MESSAGES[0] as string);
  }
  const text = await response.text();
  if (!response.ok) throw errorFromResponse(response.status, text);
  return JSON.parse(text) as T;
}

export function getHealth(signal?: AbortSignal): Promise<HealthInfo> {
  return getJson<HealthInfo>("/api/health", signal);
}

export function getSession(id: string, signal?: AbortSignal): Promise<SessionInfo> {
  return getJson<SessionInfo>(`/api/sessions/${encodeURIComponent(id)}`, signal);
}

/** Presentation time of every frame, frame 0 at 0. */
export async function getFrameTimes(id: string, signal?: AbortSignal): Promise<number[]> {
  const body = await getJson<{ times_s: number[] }>(`/api/sessions/${encodeURIComponent(id)}/frames`, signal);
  return body.times_s;
}

/** Tell the server this browser's <video> failed on the session's video: it makes a playable copy. */
export async function reportPlaybackFailure(id: string, error: string): Promise<PlaybackInfo> {
  const body: PlaybackReport = { error: error.slice(0, 1000) };
  let response: Response;
  try {
    response = await fetch(`/api/sessions/${encodeURIComponent(id)}/playback`, {
      method: "POST",
      headers: { Accept: "application/json", "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "network", FALLBACK_MESSAGES[0] as string);
  }
  const text = await response.text();
  if (!response.ok) throw errorFromResponse(response.status, text);
  return JSON.parse(text) as PlaybackInfo;
}

export interface UploadProgress {
  loaded: number;
  total: number;
}

export interface Upload {
  promise: Promise<SessionInfo>;
  abort(): void;
}

/** POST the file as multipart field `file`, reporting upload progress (XMLHttpRequest). */
export function uploadVideo(file: File, onProgress: (progress: UploadProgress) => void): Upload {
  const xhr = new XMLHttpRequest();
  const promise = new Promise<SessionInfo>((resolve, reject) => {
    xhr.open("POST", "/api/sessions");
    xhr.responseType = "text";
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", (event) => {
      onProgress({ loaded: event.loaded, total: event.lengthComputable ? event.total : file.size });
    });
    xhr.addEventListener("load", () => {
      if (xhr.status === 201 || xhr.status === 200) {
        try {
          resolve(JSON.parse(xhr.responseText) as SessionInfo);
        } catch {
          reject(new ApiError(xhr.status, "bad_response", "The server's answer was not JSON."));
        }
      } else {
        reject(errorFromResponse(xhr.status, xhr.responseText));
      }
    });
    xhr.addEventListener("error", () => reject(errorFromResponse(0, "")));
    xhr.addEventListener("abort", () => reject(new ApiError(0, "aborted", "Upload cancelled.")));
    const form = new FormData();
    form.append("file", file, file.name);
    xhr.send(form);
  });
  return { promise, abort: () => xhr.abort() };
}
