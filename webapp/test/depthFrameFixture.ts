/**
 * The depth frames packed by the server's own code (fixtures/depth_frames.json, written by
 * scripts/gen_protocol_ts.py): the TypeScript reader is tested against real server bytes.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export interface FixtureFrame {
  base64: string;
  header: {
    frame_index: number;
    pts_us: number;
    width: number;
    height: number;
    payload_bytes: number;
    scale: number;
    bias: number;
    flags: number;
    encoding: number;
    generation: number;
    header_bytes: number;
  };
  samples: number[];
}

export const FIXTURE_FRAMES: readonly FixtureFrame[] = (
  JSON.parse(readFileSync(fileURLToPath(new URL("./fixtures/depth_frames.json", import.meta.url)), "utf8")) as {
    frames: FixtureFrame[];
  }
).frames;

export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const out = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(out).set(bytes);
  return out;
}

/** A fresh copy of the frame's bytes. */
export function bufferOf(frame: FixtureFrame): ArrayBuffer {
  return toArrayBuffer(Uint8Array.from(Buffer.from(frame.base64, "base64")));
}
