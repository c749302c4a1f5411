/**
 * The header of a binary depth frame, and the frame's samples.
 *
 * Offsets and the header type come from the generated protocol module; everything is
 * little-endian.
 */
import {
  DEPTH_FRAME_MAGIC,
  DEPTH_HEADER_BYTES,
  DepthEncoding,
  DepthFlags,
  HEADER_ALIGN,
  HEADER_OFFSETS as O,
  PROTOCOL_VERSION,
  type DepthFrameHeader,
} from "./protocol";
import { decodePredicted } from "./depthCodec";
import { inflate } from "./inflate";

/** A decoded frame: header plus `width × height` samples, row-major, top row first. */
export interface DecodedDepthFrame {
  header: DepthFrameHeader;
  samples: Uint16Array;
}

export class DepthFrameError extends Error {
  override name = "DepthFrameError";
}

/**
 * The header-size rule, as protocol.py's `header_size_ok`: at least DEPTH_HEADER_BYTES and a
 * multiple of HEADER_ALIGN (so the samples after it stay aligned). A later v1 server may append
 * fields; a reader skips them, because the payload starts at `header_bytes`.
 */
export function headerSizeOk(headerBytes: number): boolean {
  return headerBytes >= DEPTH_HEADER_BYTES && headerBytes % HEADER_ALIGN === 0;
}

const MAGIC_BYTES = Array.from(DEPTH_FRAME_MAGIC, (c) => c.charCodeAt(0));
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function isCompressed(header: DepthFrameHeader): boolean {
  return (header.flags & DepthFlags.COMPRESSED) !== 0;
}

export function isMetric(header: DepthFrameHeader): boolean {
  return (header.flags & DepthFlags.METRIC) !== 0;
}

export function hasRandomWeights(header: DepthFrameHeader): boolean {
  return (header.flags & DepthFlags.RANDOM_WEIGHTS) !== 0;
}

/** A live session's depth, aligned in scale and shift to the frames before it. */
export function isStabilized(header: DepthFrameHeader): boolean {
  return (header.flags & DepthFlags.STABILIZED) !== 0;
}

/** Parse and check the header at the start of `buffer` (throws DepthFrameError). */
export function parseHeader(buffer: ArrayBuffer, byteOffset = 0): DepthFrameHeader {
  if (buffer.byteLength - byteOffset < DEPTH_HEADER_BYTES) {
    throw new DepthFrameError(`frame of ${buffer.byteLength - byteOffset} bytes is shorter than its header`);
  }
  const view = new DataView(buffer, byteOffset, DEPTH_HEADER_BYTES);
  for (let i = 0; i < MAGIC_BYTES.length; i++) {
    if (view.getUint8(O.magic + i) !== MAGIC_BYTES[i]) throw new DepthFrameError("bad magic: not a depth frame");
  }
  const header: DepthFrameHeader = {
    version: view.getUint16(O.version, true),
    header_bytes: view.getUint16(O.header_bytes, true),
    frame_index: view.getUint32(O.frame_index, true),
    flags: view.getUint16(O.flags, true),
    encoding: view.getUint16(O.encoding, true),
    pts_us: Number(view.getBigInt64(O.pts_us, true)),
    width: view.getUint16(O.width, true),
    height: view.getUint16(O.height, true),
    payload_bytes: view.getUint32(O.payload_bytes, true),
    scale: view.getFloat32(O.scale, true),
    bias: view.getFloat32(O.bias, true),
    generation: view.getUint32(O.generation, true),
  };
  if (header.version !== PROTOCOL_VERSION) {
    throw new DepthFrameError(`protocol version ${header.version}, expected ${PROTOCOL_VERSION}`);
  }
  if (!headerSizeOk(header.header_bytes)) {
    throw new DepthFrameError(
      `header size ${header.header_bytes}: not a multiple of ${HEADER_ALIGN} of at least ${DEPTH_HEADER_BYTES}`,
    );
  }
  if (buffer.byteLength - byteOffset < header.header_bytes) {
    throw new DepthFrameError(`frame of ${buffer.byteLength - byteOffset} bytes is shorter than its ${header.header_bytes}-byte header`);
  }
  if (header.encoding !== DepthEncoding.UINT16_LINEAR && header.encoding !== DepthEncoding.UINT16_PREDICTED) {
    throw new DepthFrameError(`unknown depth encoding ${header.encoding}`);
  }
  if (header.encoding === DepthEncoding.UINT16_PREDICTED && !isCompressed(header)) {
    throw new DepthFrameError("encoding 2 without flag 1: its payload is always a zlib stream");
  }
  if (header.width === 0 || header.height === 0) throw new DepthFrameError("empty depth map");
  const available = buffer.byteLength - byteOffset - header.header_bytes;
  if (header.payload_bytes !== available) {
    throw new DepthFrameError(`payload is ${available} bytes, header says ${header.payload_bytes}`);
  }
  if (!isCompressed(header) && header.payload_bytes !== header.width * header.height * 2) {
    throw new DepthFrameError(`raw payload of ${header.payload_bytes} bytes for ${header.width}x${header.height}`);
  }
  return header;
}

/**
 * Samples as a Uint16Array over `bytes` (no copy when aligned and the host is little-endian,
 * which every browser is).
 */
export function samplesFromBytes(buffer: ArrayBuffer, byteOffset: number, count: number): Uint16Array {
  if (LITTLE_ENDIAN_HOST && byteOffset % 2 === 0) return new Uint16Array(buffer, byteOffset, count);
  const view = new DataView(buffer, byteOffset, count * 2);
  const out = new Uint16Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getUint16(2 * i, true);
  return out;
}

/**
 * Decode one binary frame: check the header, inflate a compressed payload, undo the
 * predictor of encoding 2, and view the samples. The returned samples may share `buffer`
 * (uncompressed frames).
 */
export async function decodeDepthFrame(buffer: ArrayBuffer): Promise<DecodedDepthFrame> {
  const header = parseHeader(buffer);
  const count = header.width * header.height;
  if (!isCompressed(header)) {
    return { header, samples: samplesFromBytes(buffer, header.header_bytes, count) };
  }
  const inflated = await inflate(new Uint8Array(buffer, header.header_bytes, header.payload_bytes));
  if (header.encoding === DepthEncoding.UINT16_PREDICTED) {
    return { header, samples: decodePredicted(new Uint8Array(inflated), header.width, header.height) };
  }
  if (inflated.byteLength !== count * 2) {
    throw new DepthFrameError(`inflated payload is ${inflated.byteLength} bytes, expected ${count * 2}`);
  }
  return { header, samples: samplesFromBytes(inflated, 0, count) };
}

/** Depth in metres (metric) or relative units of sample `s`: `s · scale + bias`. */
export function sampleToDepth(header: Pick<DepthFrameHeader, "scale" | "bias">, sample: number): number {
  return sample * header.scale + header.bias;
}
