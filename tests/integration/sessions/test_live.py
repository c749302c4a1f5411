"""Live sessions of network sources through a real server: an RTSP camera's frames come back
as pictures with their depth; a dropped HTTP stream is reconnected and the viewer is told; a
source that ends ends its session (close code 4000, then 404), and a viewer whose socket is
behind is told of the end before the close."""

from __future__ import annotations

import asyncio
import io
import json
import socket
from typing import Any

import httpx
import pytest
import websockets
from PIL import Image
from websockets.exceptions import ConnectionClosed

from depthcast.streaming.protocol import DepthFlags
from tests.support.live import LiveAnswers, camera_jpeg, live_ws, open_live, read_until, video_frame
from tests.support.live_http import LiveHttpSource
from tests.support.rtsp_server import RtspServer
from tests.support.server import ServerProcess
from tests.support.uploads import WAIT_S, assert_error


async def test_an_rtsp_camera_streams_pictures_with_their_depth(server: ServerProcess) -> None:
    with RtspServer("cam", width=320, height=180, fps=25) as rtsp:
        response = open_live(server, {"url": rtsp.url})
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["live"]["kind"] == "url" and body["live"]["source"] == rtsp.url
        assert (body["video"]["width"], body["video"]["height"]) == (320, 180)
        assert body["video"]["codec"] == "h264" and body["video"]["fps"] == 25.0
        try:
            async with live_ws(server, body["id"]) as ws:
                hello = json.loads(await ws.recv())
                assert hello["live"]["state"] == "live" and hello["depth"] == body["depth"]
                answers = LiveAnswers()
                await read_until(ws, answers, lambda a: len(a.depths) >= 5)
                await ws.send(video_frame(0, camera_jpeg(0)))  # frames are not taken here
                await read_until(ws, answers, lambda a: a.of_type("error"))
            assert answers.of_type("error")[0]["code"] == "binary_not_accepted"
            indices = sorted(answers.depths)
            pts = [answers.pictures[i][0].pts_us for i in indices]
            assert pts == sorted(pts) and len(set(indices)) == len(indices)
            for index in indices:
                picture, jpeg = answers.pictures[index]
                assert (picture.width, picture.height) == (320, 180)
                assert Image.open(io.BytesIO(jpeg)).size == (320, 180)
                depth = answers.depths[index]
                assert depth.pts_us == picture.pts_us
                assert depth.flags & DepthFlags.STABILIZED
                assert (depth.width, depth.height) == (body["depth"]["width"],
                                                       body["depth"]["height"])
            info = httpx.get(f"{server.base_url}/api/sessions/{body['id']}",
                             timeout=WAIT_S).json()["live"]
            assert info["frames_in"] > info["frames_out"] >= 5  # it skipped to stay current
        finally:
            httpx.delete(f"{server.base_url}/api/sessions/{body['id']}", timeout=WAIT_S)


async def test_a_dropped_stream_is_reconnected_and_the_viewer_told(server: ServerProcess) -> None:
    # drops=2: the server's own check of the URL (live_redirects) is the first connection
    with LiveHttpSource(fps=25, drop_after_s=2.0, drops=2) as http:
        body = open_live(server, {"url": http.url}).json()
        try:
            async with live_ws(server, body["id"]) as ws:
                await ws.recv()
                answers = LiveAnswers()

                def states(a: LiveAnswers) -> list[str]:
                    return [m["live"]["state"] for m in a.of_type("live_status")]

                await read_until(ws, answers, lambda a: states(a)[-2:] == ["reconnecting",
                                                                           "live"])
                before = len(answers.depths)
                await read_until(ws, answers, lambda a: len(a.depths) >= before + 3)
            reconnecting = answers.of_type("live_status")[0]["live"]
            assert "reset" in (reconnecting["error"] or "").lower(), reconnecting
            assert answers.of_type("live_status")[-1]["live"]["reconnects"] == 1
        finally:
            httpx.delete(f"{server.base_url}/api/sessions/{body['id']}", timeout=WAIT_S)


async def test_a_source_that_ends_ends_its_session(server: ServerProcess) -> None:
    with LiveHttpSource(fps=25, frames=75) as http:
        body = open_live(server, {"url": http.url}).json()
        answers = LiveAnswers()
        async with live_ws(server, body["id"]) as ws:
            with pytest.raises(ConnectionClosed) as closed:
                async with asyncio.timeout(WAIT_S):
                    while True:
                        answers.take(await ws.recv())
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4000
    assert "is gone" in closed.value.rcvd.reason, closed.value.rcvd.reason
    ended = answers.of_type("live_status")[-1]["live"]
    assert ended["state"] == "ended" and "is gone" in ended["error"]
    assert answers.depths, "no depth arrived before the end"
    assert_error(httpx.get(f"{server.base_url}/api/sessions/{body['id']}", timeout=WAIT_S),
                 404, "unknown_session")


def test_a_live_session_nobody_watches_computes_nothing(server: ServerProcess) -> None:
    with LiveHttpSource(fps=25) as http:
        body: dict[str, Any] = open_live(server, {"url": http.url}).json()
        try:
            asyncio.run(asyncio.sleep(1.5))
            live = httpx.get(f"{server.base_url}/api/sessions/{body['id']}",
                             timeout=WAIT_S).json()["live"]
            assert live["frames_in"] >= 20 and live["frames_out"] == 0, live
        finally:
            httpx.delete(f"{server.base_url}/api/sessions/{body['id']}", timeout=WAIT_S)


async def test_a_viewer_behind_on_its_socket_is_told_of_the_end_before_the_close(
        server: ServerProcess) -> None:
    """The end's live_status waits behind pairs the socket has not taken yet; the close comes
    after it, not 0.1 s after the end while it still waits."""
    with LiveHttpSource(fps=25, frames=150, width=640, height=360) as http:
        body = open_live(server, {"url": http.url}).json()
        url = f"ws://127.0.0.1:{server.port}/api/sessions/{body['id']}/stream?v=1&encoding=raw"
        answers = LiveAnswers()
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: the window
        sock.connect(("127.0.0.1", server.port))
        async with websockets.connect(url, sock=sock, max_size=None, max_queue=1) as ws:
            answers.take(await ws.recv())  # hello; then nothing is read till the session is over
            async with asyncio.timeout(WAIT_S):
                while httpx.get(f"{server.base_url}/api/sessions/{body['id']}",
                                timeout=WAIT_S).status_code != 404:
                    await asyncio.sleep(0.2)
            await asyncio.sleep(1.0)  # well past the end: whatever waits for the socket waits
            with pytest.raises(ConnectionClosed) as closed:
                async with asyncio.timeout(WAIT_S):
                    while True:
                        answers.take(await ws.recv())
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4000, closed.value
    assert "overflow" in answers.dropped.values(), "the socket never fell behind"
    ended = answers.of_type("live_status")[-1]["live"]
    assert ended["state"] == "ended" and "is gone" in ended["error"], ended
