/** LAN mode as the page sees it: GET /api/lan and the QR codes of /api/lan/qr.svg. */
import { getJson } from "./api";

export interface LanInfo {
  /** Whether the server runs in LAN mode (HTTPS on the network, pairing). */
  lan: boolean;
  /** Addresses other devices can open (pairing URLs), best first; empty outside LAN mode. */
  urls: string[];
}

export async function getLan(signal?: AbortSignal): Promise<LanInfo> {
  try {
    return await getJson<LanInfo>("/api/lan", signal);
  } catch {
    return { lan: false, urls: [] };
  }
}

/** The URL of a QR code that opens `path` (with `?session=...`) paired, on another device. */
export function qrUrl(path: string): string {
  return `/api/lan/qr.svg?path=${encodeURIComponent(path)}`;
}

/** The path (and query) that opens session `sessionId`, as a player or as a remote. */
export function sessionPath(sessionId: string, remote: boolean): string {
  const query = new URLSearchParams({ session: sessionId });
  if (remote) query.set("remote", "1");
  return `/?${query.toString()}`;
}
