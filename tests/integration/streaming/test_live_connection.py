"""A browser source's live session against a real server: every frame sent is answered exactly
once (its picture then its depth, to every viewer, or `superseded` to its sender), damaged
frames are refused in words while the connection goes on, and deleting the session closes
its sockets with 4410."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from depthcast.streaming.protocol import DepthFlags
from tests.support.live import LiveAnswers, camera_jpeg, live_ws, open_live, read_until, video_frame
from tests.support.server import ServerProcess
from tests.support.uploads import WAIT_S, assert_error

FRAMES = 12


@pytest.fixture
def camera(server: ServerProcess) -> Any:
    response = open_live(server, {"browser": "camera", "width": 160, "height": 120})
    assert response.status_code == 201, response.text
    body = response.json()
    yield body
    httpx.delete(f"{server.base_url}/api/sessions/{body['id']}", timeout=WAIT_S)


async def test_every_frame_is_answered_once_picture_then_depth_or_superseded(
        server: ServerProcess, camera: dict[str, Any]) -> None:
    assert camera["live"] == {"kind": "camera", "source": "camera", "state": "connecting",
                              "frames_in": 0, "frames_out": 0, "reconnects": 0, "error": None}
    assert camera["video"]["width"] == 160 and camera["video"]["frame_count"] == 0
    sent = {i: camera_jpeg(i) for i in range(FRAMES)}
    first_capture = 1_796_000_000_000_000
    async with live_ws(server, camera["id"]) as feeder, live_ws(server, camera["id"]) as viewer:
        hello = json.loads(await feeder.recv())
        assert hello["type"] == "hello" and hello["live"]["kind"] == "camera"
        assert json.loads(await viewer.recv())["type"] == "hello"
        for i, jpeg in sent.items():  # all at once: most must be superseded, none lost
            await feeder.send(video_frame(i, jpeg, capture_us=first_capture + i * 33_000))
        fed, seen = LiveAnswers(), LiveAnswers()
        await read_until(feeder, fed, lambda a: a.answered() >= set(sent))
        await read_until(viewer, seen, lambda a: set(a.depths) >= set(fed.depths))
    assert not set(fed.depths) & set(fed.dropped), "a frame answered twice"
    assert set(fed.dropped.values()) == {"superseded"} and fed.depths
    assert FRAMES - 1 in fed.depths, "the newest frame is always computed"
    for answers in (fed, seen):
        pairs = [answers.order[k:k + 2] for k in range(0, len(answers.order), 2)]
        assert all(p == [("picture", p[0][1]), ("depth", p[0][1])] for p in pairs), pairs
        for index, depth in answers.depths.items():
            picture, jpeg = answers.pictures[index]
            assert jpeg == sent[index], "the picture is the JPEG that was sent, unchanged"
            assert picture.capture_us == first_capture + index * 33_000
            assert picture.pts_us == depth.pts_us == picture.capture_us - first_capture - min(
                fed.depths) * 33_000
            assert depth.flags & DepthFlags.STABILIZED and depth.flags & DepthFlags.RANDOM_WEIGHTS
    assert not seen.dropped, "superseded goes to the sender only"
    status = fed.of_type("live_status")
    assert status and status[0]["live"]["state"] == "live"
    info = httpx.get(f"{server.base_url}/api/sessions/{camera['id']}", timeout=WAIT_S).json()
    assert info["live"]["frames_in"] == FRAMES and info["live"]["frames_out"] == len(fed.depths)


async def test_damaged_frames_are_refused_in_words_and_the_connection_goes_on(
        server: ServerProcess, camera: dict[str, Any]) -> None:
    good = camera_jpeg(0)
    async with live_ws(server, camera["id"]) as ws:
        await ws.recv()  # hello
        answers = LiveAnswers()
        for junk in (b"not a frame at all", video_frame(1, good)[:-3],
                     video_frame(2, good, width=5000, height=120)):
            await ws.send(junk)
            await read_until(ws, answers, lambda a: len(a.of_type("error")) >= 1)
            assert answers.of_type("error")[-1]["code"] == "bad_frame"
            answers.messages.clear()
        assert answers.dropped == {1: "failed", 2: "failed"}, "a DCVF frame is answered"
        await ws.send(video_frame(3, good, width=320, height=240))  # the JPEG is 160x120
        await read_until(ws, answers, lambda a: 3 in a.dropped)
        assert answers.dropped[3] == "failed"
        await read_until(ws, answers, lambda a: a.of_type("error"))
        error = answers.of_type("error")[0]
        assert error["code"] == "bad_frame" and "160x120" in error["message"], error
        await ws.send(json.dumps({"type": "seek", "time_s": 3}))  # nothing to seek: ignored
        await ws.send(video_frame(4, good))
        await read_until(ws, answers, lambda a: 4 in a.depths)


async def test_rest_routes_for_files_refuse_a_live_session_and_delete_closes_its_sockets(
        server: ServerProcess, camera: dict[str, Any]) -> None:
    base = f"{server.base_url}/api/sessions/{camera['id']}"
    for response in (httpx.get(f"{base}/video", timeout=WAIT_S),
                     httpx.get(f"{base}/frames", timeout=WAIT_S),
                     httpx.post(f"{base}/playback", json={}, timeout=WAIT_S),
                     httpx.post(f"{base}/exports", json={"format": "npz"}, timeout=WAIT_S)):
        assert_error(response, 409, "live_session")
    async with live_ws(server, camera["id"]) as ws:
        await ws.recv()
        assert httpx.delete(base, timeout=WAIT_S).status_code == 204
        with pytest.raises(ConnectionClosed) as closed:
            async with asyncio.timeout(WAIT_S):
                while True:
                    await ws.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4410
    assert_error(httpx.get(base, timeout=WAIT_S), 404, "unknown_session")


async def test_frames_of_another_size_than_hello_said_come_after_a_live_format(
        server: ServerProcess) -> None:
    """The first frames may not be the size the source declared (a camera that gave less):
    `live_format` comes before them, to the sender and to a viewer that joins later alike."""
    body = open_live(server, {"browser": "screen", "width": 320, "height": 180}).json()
    try:
        async with live_ws(server, body["id"]) as feeder:
            hello = json.loads(await feeder.recv())
            assert (hello["video"]["width"], hello["video"]["height"]) == (320, 180)
            answers, kinds = LiveAnswers(), []  # kinds: every message's type, in order
            await feeder.send(video_frame(0, camera_jpeg(0)))  # 160x120, not 320x180
            async with asyncio.timeout(WAIT_S):
                while 0 not in answers.depths:
                    message = await feeder.recv()
                    answers.take(message)
                    kinds.append(answers.order[-1][0] if isinstance(message, bytes)
                                 else answers.messages[-1]["type"])
            assert kinds.index("live_format") < kinds.index("picture"), kinds
            await feeder.send(video_frame(1, camera_jpeg(1)))
            await read_until(feeder, answers, lambda a: 1 in a.depths)
            async with live_ws(server, body["id"]) as viewer:
                later = json.loads(await viewer.recv())
                seen = LiveAnswers()
                await feeder.send(video_frame(2, camera_jpeg(2)))
                await read_until(viewer, seen, lambda a: 2 in a.depths)
        formats = answers.of_type("live_format")
        assert len(formats) == 1, formats
        assert (formats[0]["video"]["width"], formats[0]["video"]["height"]) == (160, 120)
        depth = answers.depths[0]
        assert (formats[0]["depth"]["width"], formats[0]["depth"]["height"]) == (
            depth.width, depth.height) != (hello["depth"]["width"], hello["depth"]["height"])
        assert later["video"]["width"] == 160 and later["depth"] == formats[0]["depth"]
        assert not seen.of_type("live_format"), "the later viewer's hello had the size"
    finally:
        httpx.delete(f"{server.base_url}/api/sessions/{body['id']}", timeout=WAIT_S)
