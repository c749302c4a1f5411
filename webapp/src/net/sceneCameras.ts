/**
 * A scene job's cameras.json (docs/SCENE.md), read into plain numbers: per frame its index,
 * time, 4×4 camera-to-world matrix (OpenCV convention: x right, y down, z forward) and
 * pinhole intrinsics in pixels.
 */

export interface SceneCamera {
  index: number;
  timeS: number;
  /** Camera to world, row-major, 16 numbers. */
  cameraToWorld: number[];
  fx: number;
  fy: number;
  cx: number;
  cy: number;
  width: number;
  height: number;
}

export interface SceneCameras {
  metric: boolean;
  cameras: SceneCamera[];
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function num(record: Json, ...names: string[]): number {
  for (const name of names) {
    const value = record[name];
    if (typeof value === "number" && Number.isFinite(value)) return value;
  }
  throw new Error(`cameras.json: a frame has no number ${names.join(" or ")}`);
}

/** A 4×4 matrix given as 4 rows of 4 or as 16 numbers, row-major. */
function matrix(value: unknown): number[] {
  const flat = Array.isArray(value) && value.every(Array.isArray) ? (value as unknown[][]).flat() : value;
  if (!Array.isArray(flat) || flat.length !== 16 || !flat.every((v) => typeof v === "number" && Number.isFinite(v))) {
    throw new Error("cameras.json: a frame's camera_to_world is not a 4×4 matrix");
  }
  return flat as number[];
}

function camera(frame: unknown): SceneCamera {
  if (!isObject(frame)) throw new Error("cameras.json: a frame is not an object");
  const intrinsics = isObject(frame.intrinsics) ? { ...frame, ...frame.intrinsics } : frame;
  return {
    index: num(frame, "index", "frame_index", "frame"),
    timeS: num(frame, "time_s"),
    cameraToWorld: matrix(frame.camera_to_world ?? frame.c2w),
    fx: num(intrinsics, "fx"),
    fy: num(intrinsics, "fy"),
    cx: num(intrinsics, "cx"),
    cy: num(intrinsics, "cy"),
    width: num(intrinsics, "width"),
    height: num(intrinsics, "height"),
  };
}

/** Read cameras.json; throws an Error naming what is missing. Frames come sorted by index. */
export function parseSceneCameras(json: unknown): SceneCameras {
  if (!isObject(json)) throw new Error("cameras.json is not an object");
  const frames = json.frames ?? json.cameras;
  if (!Array.isArray(frames)) throw new Error("cameras.json has no frames list");
  const cameras = frames.map(camera).sort((a, b) => a.index - b.index);
  return { metric: json.metric === true, cameras };
}

/** One chunk's cameras, `{"chunk": k, "frames": [...]}` (GET .../chunks/{k}/cameras). */
export function parseChunkCameras(json: unknown, chunk: number): SceneCamera[] {
  if (!isObject(json) || json.chunk !== chunk) throw new Error(`the cameras of chunk ${chunk} are not those of that chunk`);
  if (!Array.isArray(json.frames)) throw new Error(`the cameras of chunk ${chunk} have no frames list`);
  return json.frames.map(camera).sort((a, b) => a.index - b.index);
}
