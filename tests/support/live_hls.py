"""A live HLS broadcast for the live-session tests: FFmpeg's HLS muxer (through PyAV) writes a
sliding playlist of 1 s MPEG-TS segments into a directory at the pace of the clock, from a
thread; :class:`tests.support.live_http.LiveHttpSource` (``files=``) serves that directory.

    with HlsBroadcast(tmp_path) as hls, LiveHttpSource(files=tmp_path) as http:
        hls.wait_for_playlist()
        av.open(http.file_url(hls.playlist), timeout=5)

Frames are those of the HTTP source (pattern ``i`` at ``i / fps`` s, ``pts = i``). ``stop()``
ends the broadcast: the playlist gets ``#EXT-X-ENDLIST`` and readers reach the end of the
stream; ``stop(end=False)`` leaves the playlist as it was, as a publisher that hangs does.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from types import TracebackType

import av

from tests.support.live_http import add_live_h264, pattern_frame

logger = logging.getLogger(__name__)


class HlsBroadcast:
    """Publishes ``playlist`` and its segments into `directory` until stopped."""

    playlist = "live.m3u8"

    def __init__(self, directory: Path, *, width: int = 160, height: int = 90, fps: int = 25,
                 segment_s: float = 1.0, list_size: int = 3) -> None:
        self.directory = Path(directory)
        self.width, self.height, self.fps = width, height, fps
        self.segment_s = segment_s
        self.list_size = list_size
        self.frames_published = 0
        self._stop = threading.Event()
        self._end = True
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._publish, name="hls-broadcast", daemon=True)
        self._thread.start()

    def wait_for_playlist(self, segments: int = 1, timeout: float = 10.0) -> None:
        """Return once the playlist lists `segments` segments (a reader needs one to start)."""
        deadline = time.monotonic() + timeout
        path = self.directory / self.playlist
        while time.monotonic() < deadline:
            if path.exists() and path.read_text().count("#EXTINF") >= segments:
                return
            time.sleep(0.05)
        raise TimeoutError(f"no HLS playlist with {segments} segments in {timeout} s")

    def stop(self, end: bool = True) -> None:
        """Stop publishing; `end`: mark the playlist ended (else it just stops changing)."""
        self._end = end
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def __enter__(self) -> HlsBroadcast:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def _publish(self) -> None:
        options = {
            "hls_time": str(self.segment_s),
            "hls_list_size": str(self.list_size),
            "hls_flags": "delete_segments+independent_segments+omit_endlist",
            "hls_segment_filename": str(self.directory / "segment%05d.ts"),
        }
        container = av.open(str(self.directory / self.playlist), "w", format="hls",
                            options=options)
        stream = add_live_h264(container, self.width, self.height, self.fps)
        epoch = time.monotonic()
        index = 0
        while not self._stop.wait(max(0.0, epoch + index / self.fps - time.monotonic())):
            container.mux(stream.encode(pattern_frame(index, stream)))
            index += 1
            self.frames_published = index
        playlist = self.directory / self.playlist
        frozen = playlist.read_text()
        container.mux(stream.encode(None))
        container.close()  # writes the last segment and lists it
        if self._end:
            with playlist.open("a") as text:
                text.write("#EXT-X-ENDLIST\n")  # omit_endlist kept the muxer from doing it
        else:  # a hung publisher: the playlist stays as it was when it stopped
            temporary = playlist.with_suffix(".tmp")
            temporary.write_text(frozen)
            temporary.replace(playlist)
        logger.info("HLS broadcast stopped after %d frames (%s)", index,
                    "ended" if self._end else "hung")
