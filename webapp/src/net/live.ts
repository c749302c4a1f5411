/**
 * Live sessions over REST (docs/PROTOCOL.md, "Live sessions"): open one from a network URL or
 * for this browser's camera or screen, read one, end one. A live session lives at the same
 * `/api/sessions/{id}` as a file session; its JSON has `live`, a file session's has not.
 */
import { ApiError, errorFromResponse, getJson, type SessionInfo } from "./api";
import type { LiveBrowserRequest, LiveSessionOut, LiveUrlRequest } from "./protocol";

export type LiveRequest = LiveUrlRequest | LiveBrowserRequest;
export type AnySession = SessionInfo | LiveSessionOut;

export function isLiveSession(session: AnySession): session is LiveSessionOut {
  return "live" in session && session.live !== null && typeof session.live === "object";
}

function sessionPath(id: string): string {
  return `/api/sessions/${encodeURIComponent(id)}`;
}

/** `GET /api/sessions/{id}`: a file session or a live one. */
export function getAnySession(id: string, signal?: AbortSignal): Promise<AnySession> {
  return getJson<AnySession>(sessionPath(id), signal);
}

/** `POST /api/sessions` with a JSON body: the new live session (a network source is opened first). */
export async function createLiveSession(request: LiveRequest): Promise<LiveSessionOut> {
  let response: Response;
  try {
    response = await fetch("/api/sessions", {
      method: "POST",
      headers: { Accept: "application/json", "Content-Type": "application/json" },
      body: JSON.stringify(request),
    });
  } catch {
    throw errorFromResponse(0, "");
  }
  const text = await response.text();
  if (!response.ok) throw errorFromResponse(response.status, text);
  try {
    return JSON.parse(text) as LiveSessionOut;
  } catch {
    throw new ApiError(response.status, "bad_response", "The server's answer was not JSON.");
  }
}

/** `DELETE /api/sessions/{id}`: end a live session (its source closes, its viewers are told). */
export async function endLiveSession(id: string): Promise<void> {
  try {
    // keepalive: it still goes out when the page is being closed
    const response = await fetch(sessionPath(id), { method: "DELETE", keepalive: true });
    if (!response.ok && response.status !== 404) throw errorFromResponse(response.status, await response.text());
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw errorFromResponse(0, "");
  }
}

/** The server's sentence for a failed live request (no "Unreadable video" prefix: no file). */
export function describeLiveError(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}

