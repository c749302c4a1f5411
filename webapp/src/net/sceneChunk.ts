/**
 * One chunk of a scene job's point cloud, as `GET .../scenes/{job}/chunks/{k}` sends it
 * (docs/SCENE.md): the points that chunk k added to the fused cloud, little-endian.
 *
 *   bytes 0..3    magic "DCPC"
 *   bytes 4..7    uint32 version (1)
 *   bytes 8..11   uint32 n, the number of points
 *   bytes 12..15  uint32 k, the chunk's index
 *   then n × (float32 x, y, z)   world coordinates, OpenCV convention (x right, y down, z forward)
 *   then n × (uint8 r, g, b)     sRGB colours
 */

export const SCENE_CHUNK_MAGIC = "DCPC";
export const SCENE_CHUNK_VERSION = 1;
/** The header's length; a multiple of 4, so the positions view is aligned. */
export const SCENE_CHUNK_HEADER_BYTES = 16;

export interface SceneChunk {
  index: number;
  count: number;
  /** n × (x, y, z), OpenCV world coordinates. */
  positions: Float32Array;
  /** n × (r, g, b), sRGB. */
  colours: Uint8Array;
}

export class SceneChunkError extends Error {
  override name = "SceneChunkError";
}

/** Parse one chunk; throws SceneChunkError when the bytes are not a version-1 chunk. */
export function parseSceneChunk(buffer: ArrayBuffer): SceneChunk {
  if (buffer.byteLength < SCENE_CHUNK_HEADER_BYTES) throw new SceneChunkError(`chunk of ${buffer.byteLength} bytes is shorter than its header`);
  const view = new DataView(buffer);
  const magic = String.fromCharCode(view.getUint8(0), view.getUint8(1), view.getUint8(2), view.getUint8(3));
  if (magic !== SCENE_CHUNK_MAGIC) throw new SceneChunkError(`not a point chunk (magic "${magic}")`);
  const version = view.getUint32(4, true);
  if (version !== SCENE_CHUNK_VERSION) throw new SceneChunkError(`point chunk version ${version}, this viewer reads ${SCENE_CHUNK_VERSION}`);
  const count = view.getUint32(8, true);
  const index = view.getUint32(12, true);
  const expected = SCENE_CHUNK_HEADER_BYTES + count * 15;
  if (buffer.byteLength !== expected) throw new SceneChunkError(`chunk ${index} of ${count} points has ${buffer.byteLength} bytes, not ${expected}`);
  const positions = littleEndianFloats(buffer, SCENE_CHUNK_HEADER_BYTES, count * 3);
  const colours = new Uint8Array(buffer, SCENE_CHUNK_HEADER_BYTES + count * 12, count * 3);
  return { index, count, positions, colours };
}

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function littleEndianFloats(buffer: ArrayBuffer, offset: number, length: number): Float32Array {
  if (HOST_IS_LITTLE_ENDIAN) return new Float32Array(buffer, offset, length);
  const view = new DataView(buffer, offset, length * 4);
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}
