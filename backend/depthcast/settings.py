"""Every tunable of the server, read once from the environment (prefix VIDEO_DEPTH_) and `.env`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DeviceChoice = Literal["auto", "cuda", "mps", "cpu"]
DtypeChoice = Literal["auto", "bf16", "fp16", "fp32"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class Settings(BaseSettings):
    """Server configuration; each field is `VIDEO_DEPTH_<NAME>` in the environment."""

    model_config = SettingsConfigDict(
        env_prefix="VIDEO_DEPTH_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
    )

    # --- inference -------------------------------------------------------
    model_id: str = Field(
        "depth-anything/DA3METRIC-LARGE",
        description="Hugging Face repo id, a local directory holding config.json and "
        "model.safetensors, or random:<config> (e.g. random:da3-small) for random weights.",
    )
    device: DeviceChoice = Field("auto", description="auto picks cuda, then mps, then cpu.")
    dtype: DtypeChoice = Field(
        "auto", description="auto: bf16 on CUDA (fp16 if bf16 unsupported), fp16 on MPS, bf16 on CPU."
    )
    infer_workers: int = Field(3, ge=1, le=32, description="Threads running forward passes.")
    max_batch: int = Field(
        0, ge=0, le=64,
        description="Most frames one forward pass takes (independent frames, N=1); "
        "0 = auto: 1 on CPU, 8 on GPU.",
    )
    process_res: int = Field(
        640, ge=56, le=4096, description="Longer side of the frame fed to the model; each side is rounded to a "
        "multiple of 14 (the patch size)."
    )
    fov_deg: float = Field(
        60.0, gt=1.0, lt=179.0, description="Horizontal field of view assumed for metric scale."
    )
    torch_threads: int = Field(
        0, ge=0, le=256,
        description="CPU threads for torch; 0 = auto: all cores but one when the model runs on "
        "the CPU (that core decodes, serves and often renders the viewer), torch's default otherwise.",
    )

    # --- decode ----------------------------------------------------------
    yuv_on_device: Literal["auto", "on", "off"] = Field(
        "auto",
        description="Where decoded frames are scaled and converted to the model's RGB: on = "
        "from their YUV planes on the model's device (8-bit 4:2:0; other formats use swscale); "
        "off = swscale on the CPU; auto = on with CUDA, off otherwise.",
    )
    decoder_workers: int = Field(2, ge=1, le=32, description="PyAV decoders per session.")
    decoder_threads: int = Field(
        0, ge=0, le=64,
        description="FFmpeg threads per decoder; 0 = auto: 1 when the model runs on the CPU "
        "(decode threads would slow its forward passes), FFmpeg's choice otherwise.",
    )
    cache: int = Field(
        16, ge=0, le=4096,
        description="Decoded frames kept per session for repeated requests (at most 64 MiB: "
        "a frame is full-resolution YUV until converted for the model).",
    )

    # --- playable copies (README, "Files browsers do not play") ----------
    playable_copies: int = Field(
        1, ge=0, le=16,
        description="Playable copies (H.264 in MP4) made at once, for uploads browsers do not "
        "play, at the lowest CPU priority; 0 = never make one.",
    )
    playable_preset: Literal[
        "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower",
        "veryslow"] = Field("veryfast", description="libx264 preset of playable copies.")
    playable_crf: int = Field(
        23, ge=0, le=51, description="libx264 CRF of playable copies (lower: larger, better)."
    )

    # --- streaming -------------------------------------------------------
    downsample: int = Field(1, ge=1, le=16, description="Default depth downsample factor on the wire.")
    compression: int = Field(0, ge=0, le=9, description=(
        "zlib level of the `zlib` encoding; for clients that ask for no encoding, 0 = raw, "
        "above 0 = zlib."))
    export_workers: int = Field(
        1, ge=0, le=16, description="Export jobs run at once (0: the server takes none); "
        "the others wait in turn.")
    export_share: float = Field(
        0.25, ge=0.0, le=1.0, description="Share of the model's time export jobs get while "
        "viewers play (they get all of it when nobody plays); 0: only idle time.")
    export_max_jobs: int = Field(
        16, ge=1, le=1000, description="Export jobs kept per session, finished ones included "
        "(429 past it; delete one).")
    export_max_mb: int = Field(
        20480, ge=1, description="Disk space all exports together may use (MiB); a job that "
        "would pass it fails with a message saying so, and its file is removed.")
    # --- scenes: camera path and fused point cloud (docs/SCENE.md) ----------
    scene_chunk_frames: int = Field(
        16, ge=2, le=512, description="Keyframes per any-view pass of a scene job; more: "
        "better poses and less drift, more memory and time per pass.")
    scene_overlap: int = Field(
        4, ge=1, le=511, description="Keyframes a scene's chunk shares with the one before, "
        "on which the two are aligned.")
    scene_stride: int = Field(
        1, ge=1, le=1000, description="Every n-th frame of the video is a scene keyframe "
        "(with SCENE_KEYFRAMES=motion: a candidate).")
    scene_keyframes: Literal["stride", "motion"] = Field(
        "stride", description="stride: every SCENE_STRIDE-th frame is a keyframe; motion: "
        "of those, the ones whose picture moved on from the last keyframe's by SCENE_MOTION.")
    scene_motion: float = Field(
        0.05, gt=0.0, le=1.0, description="Motion keyframes: the mean absolute difference of "
        "grey thumbnails (a share of 255) from the last keyframe that makes a new one.")
    scene_voxel: float = Field(
        0.0, ge=0.0, description="Voxel size of a scene's fused cloud, in its units (metres "
        "for metric models); 0 = auto: 1/200 of the first chunk's median depth.")
    scene_max_chunk_frames: int = Field(
        64, ge=2, le=512, description="The most keyframes a client may ask for in one chunk "
        "(422 bad_option past it): a chunk's pass and its point maps grow with it.")
    scene_max_mb: int = Field(
        20480, ge=1, description="Disk space all scene jobs together may use (MiB); a job that "
        "would pass it fails with a message saying so, and its files are removed.")
    scene_max_jobs: int = Field(
        4, ge=1, le=100, description="Scene jobs kept per session, finished ones included "
        "(429 past it; delete one).")
    depth_cache_mb: int = Field(256, ge=0, le=65536, description="Computed depth kept per session (MiB).")
    stats_interval_s: float = Field(1.0, gt=0.0, le=60.0, description="Seconds between stats messages.")
    profile_timing: bool = Field(False, description="Log per-stage timings of every frame.")

    # --- live sources (docs/PROTOCOL.md, Live sessions) --------------------
    live_max_sessions: int = Field(
        4, ge=0, le=64, description="Live sessions open at once (429 past it; 0: none, 503).")
    live_schemes: list[str] = Field(
        default_factory=lambda: ["rtsp", "rtsps", "http", "https"],
        description="URL schemes a live source may have (JSON list).")
    live_allow_loopback: bool = Field(
        False, description="Let live sources be on this machine's loopback (or unspecified) "
        "addresses; off, so a client cannot make the server fetch from its own ports.")
    live_allow_link_local: bool = Field(
        False, description="Let live sources be on link-local addresses (169.254/16, fe80::/10: "
        "where clouds keep their metadata service).")
    live_open_timeout_s: float = Field(
        10.0, gt=0.0, le=120.0, description="Opening a network source, or a stall in it, "
        "fails after this long.")
    live_reconnect_s: float = Field(
        30.0, ge=0.0, le=3600.0, description="A dropped network source is reopened with backoff "
        "for this long; then its session ends.")
    live_stabilize: Literal["auto", "on", "off"] = Field(
        "auto", description="Temporal stabilisation of live depth: auto = relative-depth models "
        "only; on = metric models too; off.")
    live_jpeg_quality: int = Field(
        80, ge=10, le=100, description="JPEG quality of the pictures sent of network sources.")
    live_max_frame_mb: float = Field(
        8.0, gt=0.0, le=64.0, description="Largest frame a browser source may send (MiB).")

    # --- server ----------------------------------------------------------
    host: str = Field("127.0.0.1", description="Address to listen on.")
    port: int = Field(8000, ge=0, le=65535, description="TCP port.")
    data_dir: Path = Field(Path("data"), description="Where uploaded videos are kept.")
    max_upload_mb: int = Field(2048, ge=1, description="Largest accepted upload (MiB).")
    session_ttl_s: float = Field(
        3600.0, gt=0.0, description="A session unused for this long is deleted with its file."
    )
    static_dir: Path | None = Field(
        None, description="Built web app to serve at /; default webapp/dist if it exists."
    )
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Extra Host names the server answers (DNS-rebinding guard); [\"*\"] = any. "
        "Loopback names and HOST are always allowed.",
    )
    log_level: LogLevel = Field("INFO", description="Logging level.")
    shutdown_timeout_s: float = Field(
        10.0, gt=0.0, le=600.0,
        description="On SIGTERM/Ctrl+C, connections still open after this long are cut.",
    )

    # --- LAN mode (docs: README, section "Headset on the LAN") ------------
    lan: bool = Field(
        False,
        description="LAN mode: HTTPS on every interface with a certificate made at first "
        "start, and every request paired with a secret the server made.",
    )
    tls_cert: Path | None = Field(
        None, description="PEM certificate to use in LAN mode instead of the generated one."
    )
    tls_key: Path | None = Field(None, description="PEM private key of TLS_CERT.")

    # --- limits against hostile or runaway clients -----------------------
    max_sessions: int = Field(64, ge=1, description="Most sessions at once (429 past it).")
    max_storage_mb: int = Field(
        20480, ge=1, description="Most bytes of uploads kept on disk in all (MiB; 507 past it)."
    )
    max_video_pixels: int = Field(
        8192 * 4320, ge=64 * 64,
        description="Largest accepted frame, width x height (default: 8K DCI); checked "
        "from the stream parameters before a frame is decoded.",
    )
    upload_idle_timeout_s: float = Field(
        30.0, gt=0.0, description="An upload whose body sends nothing for this long is cut (408)."
    )
    uploads_per_client: int = Field(
        2, ge=1, description="Uploads one client address may run at once (429 past it)."
    )
    connections_per_client: int = Field(
        16, ge=1, description="WebSocket streams one client address may have open at once "
        "(closed with 4429 past it)."
    )
    max_requested_frames: int = Field(
        4096, ge=1, description="Re-requested frames one connection may have waiting at once."
    )
    stream_outbox_mb: int = Field(
        64, ge=1,
        description="Bytes one connection may have waiting to be sent (MiB); a client that "
        "stays over it is disconnected.",
    )
    stream_send_timeout_s: float = Field(
        30.0, gt=0.0, le=3600.0,
        description="A connection whose socket takes nothing for this long (a client that "
        "stopped reading) is closed with code 4408.",
    )
    socket_send_buffer_kb: int = Field(
        64, ge=0, le=65536,
        description="Kernel send buffer of each connection (KiB; 0 = the system's autotuning). "
        "Small, so depth for a slow link waits in the server, where it is packed at the "
        "client's current downsample and dropped as stale once due, not in megabytes of "
        "socket buffer that reach the client seconds late.",
    )

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("model_id")
    @classmethod
    def _model_id_not_empty(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must name a hub id, a local directory or random:<config>")
        return value

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    @property
    def depth_cache_bytes(self) -> int:
        return self.depth_cache_mb * 1024 * 1024


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (tests build their own `Settings` and pass it to `create_app`)."""
    return Settings()
