/**
 * A live session's binary video frame (docs/PROTOCOL.md, "Binary video frame"): the 40-byte
 * little-endian header and its JPEG payload. The server sends one before each depth frame of a
 * live session; a browser source sends its captured pictures so.
 *
 * Offsets and the header type come from the generated protocol module.
 */
import {
  HEADER_ALIGN,
  PROTOCOL_VERSION,
  VIDEO_FRAME_MAGIC,
  VIDEO_HEADER_BYTES,
  VIDEO_HEADER_OFFSETS as O,
  VideoCodec,
  type VideoFrameHeader,
} from "./protocol";

export class VideoFrameError extends Error {
  override name = "VideoFrameError";
}

/** What a writer chooses; the rest (version, header size, payload size) follows. */
export type VideoFrameFields = Pick<VideoFrameHeader, "frame_index" | "pts_us" | "capture_us" | "width" | "height"> &
  Partial<Pick<VideoFrameHeader, "codec" | "flags">>;

const MAGIC_BYTES = Array.from(VIDEO_FRAME_MAGIC, (c) => c.charCodeAt(0));
const MAX_SIDE = 0xffff;

/** Whether a binary message starts with the video frame magic `DCVF` (else: a depth frame). */
export function isVideoFrame(buffer: ArrayBuffer): boolean {
  if (buffer.byteLength < MAGIC_BYTES.length) return false;
  const bytes = new Uint8Array(buffer, 0, MAGIC_BYTES.length);
  return MAGIC_BYTES.every((b, i) => bytes[i] === b);
}

/** The header-size rule of video frames: at least VIDEO_HEADER_BYTES, a multiple of HEADER_ALIGN. */
export function videoHeaderSizeOk(headerBytes: number): boolean {
  return headerBytes >= VIDEO_HEADER_BYTES && headerBytes % HEADER_ALIGN === 0;
}

/** Parse and check the header of a whole video frame (throws VideoFrameError). */
export function parseVideoHeader(buffer: ArrayBuffer): VideoFrameHeader {
  if (buffer.byteLength < VIDEO_HEADER_BYTES) {
    throw new VideoFrameError(`video frame of ${buffer.byteLength} bytes is shorter than its header`);
  }
  if (!isVideoFrame(buffer)) throw new VideoFrameError("bad magic: not a video frame");
  const view = new DataView(buffer, 0, VIDEO_HEADER_BYTES);
  const header: VideoFrameHeader = {
    version: view.getUint16(O.version, true),
    header_bytes: view.getUint16(O.header_bytes, true),
    frame_index: view.getUint32(O.frame_index, true),
    codec: view.getUint16(O.codec, true),
    flags: view.getUint16(O.flags, true),
    pts_us: Number(view.getBigInt64(O.pts_us, true)),
    capture_us: Number(view.getBigInt64(O.capture_us, true)),
    width: view.getUint16(O.width, true),
    height: view.getUint16(O.height, true),
    payload_bytes: view.getUint32(O.payload_bytes, true),
  };
  if (header.version !== PROTOCOL_VERSION) {
    throw new VideoFrameError(`protocol version ${header.version}, expected ${PROTOCOL_VERSION}`);
  }
  if (!videoHeaderSizeOk(header.header_bytes)) {
    throw new VideoFrameError(`header size ${header.header_bytes}: not a multiple of ${HEADER_ALIGN} of at least ${VIDEO_HEADER_BYTES}`);
  }
  if (buffer.byteLength !== header.header_bytes + header.payload_bytes) {
    throw new VideoFrameError(`payload_bytes says ${header.payload_bytes}, the frame holds ${buffer.byteLength - header.header_bytes}`);
  }
  if (header.codec !== VideoCodec.JPEG) throw new VideoFrameError(`unknown video codec ${header.codec}`);
  return header;
}

/** The payload (the JPEG) of a frame whose header is `header`, without copying. */
export function videoPayload(buffer: ArrayBuffer, header: VideoFrameHeader): Uint8Array<ArrayBuffer> {
  return new Uint8Array(buffer, header.header_bytes, header.payload_bytes);
}

/** One binary message: a VIDEO_HEADER_BYTES header, then `payload`. */
export function packVideoFrame(fields: VideoFrameFields, payload: Uint8Array): ArrayBuffer {
  for (const side of [fields.width, fields.height]) {
    if (!Number.isInteger(side) || side < 1 || side > MAX_SIDE) throw new VideoFrameError(`picture side ${side} does not fit a u16`);
  }
  const out = new ArrayBuffer(VIDEO_HEADER_BYTES + payload.byteLength);
  const view = new DataView(out);
  MAGIC_BYTES.forEach((b, i) => view.setUint8(O.magic + i, b));
  view.setUint16(O.version, PROTOCOL_VERSION, true);
  view.setUint16(O.header_bytes, VIDEO_HEADER_BYTES, true);
  view.setUint32(O.frame_index, fields.frame_index, true);
  view.setUint16(O.codec, fields.codec ?? VideoCodec.JPEG, true);
  view.setUint16(O.flags, fields.flags ?? 0, true);
  view.setBigInt64(O.pts_us, BigInt(Math.round(fields.pts_us)), true);
  view.setBigInt64(O.capture_us, BigInt(Math.round(fields.capture_us)), true);
  view.setUint16(O.width, fields.width, true);
  view.setUint16(O.height, fields.height, true);
  view.setUint32(O.payload_bytes, payload.byteLength, true);
  new Uint8Array(out, VIDEO_HEADER_BYTES).set(payload);
  return out;
}
