/**
 * Video frames packed by the server's own header code (fixtures/video_frames.json, written by
 * scripts/gen_protocol_ts.py): the TypeScript reader and writer are held to real server bytes.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { VideoFrameHeader } from "../src/net/protocol";
import { toArrayBuffer } from "./depthFrameFixture";

export interface VideoFixtureFrame {
  base64: string;
  /** What a reader must find in the header (all but the version, checked separately). */
  header: Omit<VideoFrameHeader, "version">;
}

export const VIDEO_FIXTURE_FRAMES: readonly VideoFixtureFrame[] = (
  JSON.parse(readFileSync(fileURLToPath(new URL("./fixtures/video_frames.json", import.meta.url)), "utf8")) as {
    frames: VideoFixtureFrame[];
  }
).frames;

/** A fresh copy of the frame's bytes. */
export function videoBufferOf(frame: VideoFixtureFrame): ArrayBuffer {
  return toArrayBuffer(Uint8Array.from(Buffer.from(frame.base64, "base64")));
}
