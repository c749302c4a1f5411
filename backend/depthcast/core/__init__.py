"""The depth core: depth for a video's frames without the web stack.

The server, exports, batch jobs and live sources share it. It holds the device plan, the one
DepthEngine, and opens videos with the decoder settings that suit the device:

    from depthcast.core import DepthCore
    from depthcast.settings import Settings

    core = DepthCore(Settings(model_id="depth-anything/DA3-SMALL")).load()
    with core.open("clip.mp4") as video:
        for frame in core.depth(video, range(0, 300)):  # batched; in frame order
            frame.index, frame.time_s, frame.values()   # (H, W) float32 depth

`docs/ARCHITECTURE.md` says where it sits among the layers.
"""

from depthcast.core.cache import DepthCache
from depthcast.core.depth_core import DepthCore
from depthcast.core.frames import DepthFrame, default_batch_size, depth_frames
from depthcast.core.video import DepthVideo, VideoOptions

__all__ = ["DepthCache", "DepthCore", "DepthFrame", "DepthVideo", "VideoOptions",
           "default_batch_size", "depth_frames"]
