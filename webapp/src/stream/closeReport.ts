/**
 * What a closed depth socket means for the page, the same for a file's stream and a live one:
 * a sentence to show and stop on (the session is gone, the page is not paired, another site,
 * another protocol), or null when the socket should reconnect.
 */

import { isSessionGone } from "../net/backoff";
import { NOT_PAIRED_MESSAGE } from "../net/pairing";
import { CloseCode } from "../net/protocol";

/** The fatal sentence for close `code`, or null; `gone` is what to say of a gone session. */
export function fatalClose(code: number, reason: string, gone: string): string | null {
  if (isSessionGone(code)) return gone;
  if (code === CloseCode.NOT_PAIRED) return NOT_PAIRED_MESSAGE;
  if (code === CloseCode.CROSS_SITE) {
    return "The server refused this page as another site's. Open the viewer from the server's own address.";
  }
  if (code === CloseCode.PROTOCOL_MISMATCH) {
    return `The server speaks another protocol version (${reason}). Reload the page.`;
  }
  return null;
}
