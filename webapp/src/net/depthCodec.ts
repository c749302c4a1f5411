/**
 * The `predicted` depth encoding (header encoding 2), decoded: the inverse of the server's
 * streaming/depth_codec.py. docs/PROTOCOL.md ("Encoding 2") gives the byte layout.
 *
 * The inflated payload is `height` row-filter bytes, then the high bytes of every residual
 * code, then their low bytes (row-major). A code is a zigzag-mapped residual mod 2^16; the
 * filters predict a sample from its left (a), upper (b) and upper-left (c) neighbours, with
 * 0 outside the map. Every filter undoes with a running sum along the row.
 */
import { WireEncoding } from "./protocol";

export const RowFilter = { NONE: 0, LEFT: 1, UP: 2, GRADIENT: 3 } as const;

export class DepthCodecError extends Error {
  override name = "DepthCodecError";
}

/** The samples of an inflated `predicted` payload (throws DepthCodecError when damaged). */
export function decodePredicted(body: Uint8Array, width: number, height: number): Uint16Array {
  const count = width * height;
  if (body.byteLength !== height + 2 * count) {
    throw new DepthCodecError(`inflated payload is ${body.byteLength} bytes, expected ${height + 2 * count}`);
  }
  const out = new Uint16Array(count);
  const high = height;
  const low = height + count;
  for (let row = 0; row < height; row++) {
    const filter = body[row] as number;
    const start = row * width;
    const end = start + width;
    const up = row > 0 ? -width : 0; // row 0: every upper neighbour is 0 (out[] starts zeroed)
    let sum = 0;
    if (filter === RowFilter.NONE) {
      for (let i = start; i < end; i++) out[i] = residual(body, high + i, low + i);
    } else if (filter === RowFilter.LEFT) {
      for (let i = start; i < end; i++) {
        sum = (sum + residual(body, high + i, low + i)) & 0xffff;
        out[i] = sum;
      }
    } else if (filter === RowFilter.UP) {
      // Uint16Array stores mod 2^16; in row 0, out[i + 0] is still 0
      for (let i = start; i < end; i++) out[i] = (out[i + up] as number) + residual(body, high + i, low + i);
    } else if (filter === RowFilter.GRADIENT) {
      for (let i = start; i < end; i++) {
        sum = (sum + residual(body, high + i, low + i)) & 0xffff; // x - b: (a - c) + residual
        out[i] = (out[i + up] as number) + sum;
      }
    } else {
      throw new DepthCodecError(`unknown row filter ${filter} in row ${row}`);
    }
  }
  return out;
}

/** The signed residual whose zigzag code has its high byte at `hi` and low byte at `lo`. */
function residual(body: Uint8Array, hi: number, lo: number): number {
  const code = ((body[hi] as number) << 8) | (body[lo] as number);
  return (code >>> 1) ^ -(code & 1);
}

/** What the viewer can ask for: one encoding, or `auto` (the best the server offers). */
export type EncodingChoice = WireEncoding | "auto";
export const ENCODING_CHOICES: readonly EncodingChoice[] = ["auto", ...Object.values(WireEncoding)];

/** The socket URL's `?encoding=`: what this client reads, best first. */
export function offeredEncodings(choice: EncodingChoice): string {
  if (choice !== "auto") return choice;
  return [WireEncoding.PREDICTED, WireEncoding.ZLIB, WireEncoding.RAW].join(",");
}
