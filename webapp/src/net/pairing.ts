/**
 * LAN-mode pairing. The server prints (and shows as a QR code) an address with `?pair=SECRET`;
 * the page trades the secret once for the server's HttpOnly cookie (POST /api/pair) and takes
 * it out of the address bar, so it is neither bookmarked nor shown over a shoulder.
 */
import { ApiError, errorFromResponse } from "./api";

export const PAIR_PARAM = "pair";

/** The sentence shown when the server answers 401 `not_paired` (or the socket closes 4401). */
export const NOT_PAIRED_MESSAGE =
  "This device is not paired with the server. Open the address printed in the server's console " +
  "(it ends in ?pair=…) or scan the QR code it shows, on this device.";

export type PairOutcome = "none" | "paired";

/** The secret in `href`, if any. */
export function pairSecret(href: string): string | null {
  const value = new URL(href).searchParams.get(PAIR_PARAM);
  return value === null || value === "" ? null : value;
}

/** `href` without the pairing secret (other parameters kept). */
export function withoutPairSecret(href: string): string {
  const url = new URL(href);
  url.searchParams.delete(PAIR_PARAM);
  return url.toString();
}

/** Whether an error means "pair this device first". */
export function isNotPaired(error: unknown): boolean {
  return error instanceof ApiError && error.status === 401;
}

/**
 * Trade the secret in the page's address (if any) for the cookie, and remove it from the
 * address bar whatever the answer. Throws ApiError when the server refuses it.
 */
export async function pairFromUrl(
  href: string,
  replaceUrl: (href: string) => void,
  fetchFn: typeof fetch = fetch,
): Promise<PairOutcome> {
  const secret = pairSecret(href);
  if (secret === null) return "none";
  replaceUrl(withoutPairSecret(href));
  let response: Response;
  try {
    response = await fetchFn("/api/pair", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ secret }),
      credentials: "same-origin",
    });
  } catch {
    throw errorFromResponse(0, "");
  }
  if (response.ok) return "paired";
  throw errorFromResponse(response.status, await response.text());
}
