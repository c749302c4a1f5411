"""A scene's files, written as chunks finish (docs/SCENE.md, "Files").

While it runs the folder holds `chunks/<k>.dcpc` (each chunk's new points), `cameras.jsonl`
(one line a frame) and `.part` files grown by appending; `finish` turns them into the final
files by streaming, never holding the whole cloud or path in memory.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path
from typing import IO, Any

import numpy as np

from depthcast.domain.errors import SceneTooLargeError
from depthcast.scene.chain import PlacedFrame
from depthcast.scene.fusion import ChunkCloud
from depthcast.scene.geometry import rotation_to_quaternion
from depthcast.scene.point_chunk import pack_point_chunk

CAMERAS = "cameras.json"
TUM = "cameras_tum.txt"
COLMAP_CAMERAS, COLMAP_IMAGES, COLMAP_POINTS = ("colmap_cameras.txt", "colmap_images.txt",
                                               "colmap_points3D.txt")
PLY = "scene.ply"
NPZ = "frames.npz"
FILE_NAMES = (PLY, CAMERAS, TUM, COLMAP_CAMERAS, COLMAP_IMAGES, COLMAP_POINTS, NPZ)
META = "scene_meta.json"
CAMERA_LINES = "cameras.jsonl"
CHUNKS = "chunks"
VERTEX = np.dtype([("x", "<f4"), ("y", "<f4"), ("z", "<f4"),
                   ("red", "u1"), ("green", "u1"), ("blue", "u1")])
NPZ_ARRAYS = ("depth", "confidence", "camera_to_world", "intrinsics", "index", "time_s")


def chunk_path(folder: Path, k: int) -> Path:
    return folder / CHUNKS / f"{k:06d}.dcpc"


def chunk_cameras_path(folder: Path, k: int) -> Path:
    """Chunk k's keyframes' cameras, `{"chunk": k, "frames": [...]}` (written before its
    points: once the points are there, so are these)."""
    return folder / CHUNKS / f"{k:06d}.cameras.json"


def chunk_cameras(folder: Path, k: int) -> dict[str, Any]:
    """Chunk k's cameras (FileNotFoundError until chunk k is done)."""
    if not chunk_path(folder, k).is_file():
        raise FileNotFoundError(chunk_path(folder, k))
    cameras: dict[str, Any] = json.loads(chunk_cameras_path(folder, k).read_text())
    return cameras


def read_meta(folder: Path) -> dict[str, Any]:
    """cameras.json's content but its frames (OSError before the scene started)."""
    meta: dict[str, Any] = json.loads((folder / META).read_text())
    return meta


def cameras_so_far(folder: Path) -> dict[str, Any]:
    """cameras.json's content for the frames of the chunks finished so far (a chunk's lines
    may be written before its points: they count once its points are there)."""
    meta = read_meta(folder)
    lines = folder / CAMERA_LINES
    frames = []
    done: dict[int, bool] = {}
    if lines.is_file():
        with lines.open() as f:
            for line in f:
                if not line.endswith("\n"):
                    break
                entry = json.loads(line)
                k = entry["chunk"]
                if k not in done:
                    done[k] = chunk_path(folder, k).is_file()
                if not done[k]:
                    break
                frames.append(entry)
    return {**meta, "frames": frames}


class SceneFiles:
    """Appends each chunk's cameras and points to the scene's files; `finish` completes them."""

    def __init__(self, folder: Path, meta: dict[str, Any], frame_total: int,
                 depth_shape: tuple[int, int], npz: bool, max_bytes: int | None = None) -> None:
        self.folder = folder
        self.meta = meta
        self.points = 0
        self.frames = 0
        self.bytes = 0  # written to disk so far
        self._chunk_bytes = 0  # of that, the chunks/ files
        self._total = frame_total
        self._max_bytes = max_bytes
        self._depth_shape = depth_shape
        self._npz = npz
        shutil.rmtree(folder / CHUNKS, ignore_errors=True)  # an earlier run's, in this folder
        (folder / CHUNKS).mkdir(parents=True, exist_ok=True)
        self.write_meta()
        self._cameras = (folder / CAMERA_LINES).open("w")
        self._tum = self._part(TUM)
        self._tum.write("# timestamp tx ty tz qx qy qz qw (camera to world, OpenCV axes)\n")
        self._colmap_cameras = self._part(COLMAP_CAMERAS)
        self._colmap_cameras.write("# Camera list with one line of data per camera:\n"
                                   "#   CAMERA_ID, MODEL, WIDTH, HEIGHT, PARAMS[]\n")
        self._colmap_images = self._part(COLMAP_IMAGES)
        self._colmap_images.write("# Image list with two lines of data per image:\n"
                                  "#   IMAGE_ID, QW, QX, QY, QZ, TX, TY, TZ, CAMERA_ID, NAME\n"
                                  "#   POINTS2D[] as (X, Y, POINT3D_ID)\n")
        self._vertices = self._part(PLY + ".body", binary=True)
        self._arrays: dict[str, IO[Any]] = {}
        if npz:
            h, w = depth_shape
            shapes = {"depth": (h, w), "confidence": (h, w), "camera_to_world": (4, 4),
                      "intrinsics": (3, 3), "index": (), "time_s": ()}
            for name in NPZ_ARRAYS:
                f = self._part(f"{name}.npy", binary=True)
                dtype = np.dtype("<i8") if name == "index" else np.dtype(
                    "<f8" if name == "time_s" else "<f4")
                np.lib.format.write_array_header_2_0(f, {
                    "descr": dtype.str, "fortran_order": False,
                    "shape": (frame_total, *shapes[name])})
                self._arrays[name] = f

    def _part(self, name: str, binary: bool = False) -> IO[Any]:
        return (self.folder / f"{name}.part").open("wb" if binary else "w")

    def write_meta(self) -> None:
        (self.folder / f"{META}.tmp").write_text(json.dumps(self.meta))
        (self.folder / f"{META}.tmp").replace(self.folder / META)

    def add_chunk(self, k: int, frames: list[PlacedFrame], times: list[float],
                  cloud: ChunkCloud) -> None:
        """Chunk k's new frames and points (the chunk file last: its presence says k is done).

        SceneTooLargeError, before anything of it is written, when the scene with this chunk
        would need more than `max_bytes` on disk at its peak (when `finish` assembles it)."""
        self._check_room(len(frames), len(cloud))
        vertices = np.empty(len(cloud), VERTEX)
        for axis, name in enumerate("xyz"):
            vertices[name] = cloud.xyz[:, axis]
        for axis, name in enumerate(("red", "green", "blue")):
            vertices[name] = cloud.rgb[:, axis]
        self._vertices.write(vertices.tobytes())
        self.points += len(cloud)
        entries = [self._add_frame(k, frame, time_s)
                   for frame, time_s in zip(frames, times, strict=True)]
        self._cameras.write("".join(json.dumps(entry) + "\n" for entry in entries))
        for f in self._files():
            f.flush()
        cameras = chunk_cameras_path(self.folder, k)
        cameras.with_suffix(".part").write_text(json.dumps({"chunk": k, "frames": entries}))
        cameras.with_suffix(".part").replace(cameras)
        path = chunk_path(self.folder, k)
        packed = pack_point_chunk(cloud)
        path.with_suffix(".part").write_bytes(packed)
        path.with_suffix(".part").replace(path)
        self._chunk_bytes += len(packed) + cameras.stat().st_size
        self.bytes = self._chunk_bytes + sum(f.tell() for f in self._files())

    def _files(self) -> tuple[IO[Any], ...]:
        return (self._cameras, self._tum, self._colmap_cameras, self._colmap_images,
                self._vertices, *self._arrays.values())

    def _check_room(self, frames: int, points: int) -> None:
        """At the peak, `finish` holds the PLY twice (body and file) and the npz arrays twice
        (parts and archive), besides everything else."""
        if self._max_bytes is None:
            return
        h, w = self._depth_shape
        frame_bytes = 2 * 700 + (8 * h * w + 144 if self._npz else 0)  # text lines, arrays
        ply = (self.points + points) * VERTEX.itemsize
        arrays = (self.frames + frames) * (8 * h * w + 144) if self._npz else 0
        peak = self.bytes + frames * frame_bytes + 2 * points * VERTEX.itemsize + max(ply, arrays)
        if peak > self._max_bytes:
            raise SceneTooLargeError(
                f"this scene would need about {peak / 2**20:.0f} MiB on disk and "
                f"{self._max_bytes / 2**20:.0f} MiB are left for scenes (SCENE_MAX_MB): use a "
                "larger voxel, a larger stride or motion keyframes, or no npz")

    def _add_frame(self, k: int, frame: PlacedFrame, time_s: float) -> dict[str, Any]:
        """Write the frame's lines and arrays; returns its cameras.json entry."""
        self.frames += 1
        pose, intr = frame.camera_to_world, frame.intrinsics
        height, width = frame.depth.shape
        fx, fy, cx, cy = (float(intr[0, 0]), float(intr[1, 1]), float(intr[0, 2]),
                          float(intr[1, 2]))
        entry = {"index": frame.index, "time_s": round(time_s, 6), "chunk": k,
                 "camera_to_world": [[round(float(v), 7) for v in row] for row in pose],
                 "fx": fx, "fy": fy, "cx": cx, "cy": cy, "width": width, "height": height}
        qx, qy, qz, qw = rotation_to_quaternion(pose[:3, :3])
        tx, ty, tz = pose[:3, 3]
        self._tum.write(f"{time_s:.6f} {tx:.7g} {ty:.7g} {tz:.7g} "
                        f"{qx:.7g} {qy:.7g} {qz:.7g} {qw:.7g}\n")
        # COLMAP keeps world-to-camera; ids count from 1; cx, cy at pixel centres alike
        w2c = np.linalg.inv(pose)
        wx, wy, wz, ww = rotation_to_quaternion(w2c[:3, :3])
        image_id = self.frames
        self._colmap_cameras.write(f"{image_id} PINHOLE {width} {height} "
                                   f"{fx:.7g} {fy:.7g} {cx:.7g} {cy:.7g}\n")
        self._colmap_images.write(
            f"{image_id} {ww:.9g} {wx:.9g} {wy:.9g} {wz:.9g} {w2c[0, 3]:.9g} {w2c[1, 3]:.9g} "
            f"{w2c[2, 3]:.9g} {image_id} frame_{frame.index:06d}.png\n\n")
        if self._arrays:
            values = {"depth": frame.depth, "confidence": frame.confidence,
                      "camera_to_world": pose, "intrinsics": intr,
                      "index": np.int64(frame.index), "time_s": np.float64(time_s)}
            for name, f in self._arrays.items():
                dtype = "<i8" if name == "index" else "<f8" if name == "time_s" else "<f4"
                f.write(np.asarray(values[name], dtype=dtype).tobytes())
        return entry

    def finish(self) -> list[Path]:
        """Close everything and write the final files; returns them."""
        self.close()
        if self.frames != self._total:
            raise RuntimeError(f"{self.frames} frames placed of {self._total}")
        folder = self.folder
        self._final(TUM)
        self._final(COLMAP_CAMERAS)
        self._final(COLMAP_IMAGES)
        (folder / COLMAP_POINTS).write_text(
            "# 3D point list (empty: the cloud is scene.ply)\n"
            "#   POINT3D_ID, X, Y, Z, R, G, B, ERROR, TRACK[] as (IMAGE_ID, POINT2D_IDX)\n")
        with (folder / f"{CAMERAS}.part").open("w") as out, (folder / CAMERA_LINES).open() as f:
            head = json.dumps({**self.meta, "frames": []})
            out.write(head[:-2])  # up to the frames' opening bracket
            for n, line in enumerate(f):
                out.write(("" if n == 0 else ", ") + line.strip())
            out.write("]}\n")
        self._final(CAMERAS)
        with (folder / f"{PLY}.part").open("wb") as out:
            out.write(("ply\nformat binary_little_endian 1.0\ncomment depthcast scene\n"
                       f"element vertex {self.points}\nproperty float x\nproperty float y\n"
                       "property float z\nproperty uchar red\nproperty uchar green\n"
                       "property uchar blue\nend_header\n").encode("ascii"))
            with (folder / f"{PLY}.body.part").open("rb") as body:
                shutil.copyfileobj(body, out, 1 << 20)
        (folder / f"{PLY}.body.part").unlink()
        self._final(PLY)
        if self._arrays:
            with zipfile.ZipFile(folder / f"{NPZ}.part", "w", zipfile.ZIP_STORED,
                                 allowZip64=True) as archive:
                for name in NPZ_ARRAYS:
                    archive.write(folder / f"{name}.npy.part", f"{name}.npy")
                    (folder / f"{name}.npy.part").unlink()
            self._final(NPZ)
        return [folder / name for name in FILE_NAMES if (folder / name).is_file()]

    def _final(self, name: str) -> None:
        (self.folder / f"{name}.part").replace(self.folder / name)

    def close(self) -> None:
        for f in self._files():
            f.close()
