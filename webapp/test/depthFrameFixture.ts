/**
 * The depth frames packed by the server's own code (fixtures/depth_frames.json, written by
 * scripts/gen_protocol_ts.py): the TypeScript reader is tested against real server bytes.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { DepthFrameHeader } from "../src/net/protocol";

export interface FixtureFrame {
  base64: string;
  /** What a reader must find in the header (all but the version, checked separately). */
  header: Omit<DepthFrameHeader, "version">;
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
