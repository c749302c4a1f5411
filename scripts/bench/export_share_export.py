"""The export job of bench_export_share: started, its `frames_done` polled, its frames per
second over a window read from the polls, cancelled."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import httpx

EXPORT = {"format": "npz", "start": 0, "end": None, "options": {}}
POLL_EVERY_S = 0.2  # how often the export's job is read


@dataclass
class ExportFigures:
    """The export's progress over the window."""

    fps: float
    t0: float  # the window, on perf_counter
    t1: float
    other_cores: float = 0.0  # other work on the machine meanwhile (OtherLoad)


class ExportWatch:
    """One export job: started, its `frames_done` polled, cancelled."""

    def __init__(self, http: httpx.AsyncClient, base_url: str, session_id: str) -> None:
        self.http = http
        self.base_url = base_url
        self.session_id = session_id
        self.url = ""
        self.samples: list[tuple[float, int]] = []  # (perf_counter, frames_done)
        self.total = 0
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        response = await self.http.post(
            f"{self.base_url}/api/sessions/{self.session_id}/exports", json=EXPORT)
        response.raise_for_status()
        job = response.json()
        self.url = f"{self.base_url}{job['url']}"
        self.total = job["frames_total"]
        self._task = asyncio.create_task(self._poll())

    async def _poll(self) -> None:
        while True:
            job = (await self.http.get(self.url)).raise_for_status().json()
            self.samples.append((time.perf_counter(), job["frames_done"]))
            if job["state"] not in ("queued", "running"):
                raise RuntimeError(f"the export ended ({job['state']}, {job['frames_done']} "
                                   f"of {job['frames_total']} frames) before its window did; "
                                   "make --export-s longer")
            await asyncio.sleep(POLL_EVERY_S)

    async def running(self, frames: int = 1, timeout: float = 120.0) -> None:
        """Until its first `frames` frames are done (the job runs, the model is warm)."""
        deadline = time.perf_counter() + timeout
        while not self.samples or self.samples[-1][1] < frames:
            if self._task is not None and self._task.done():
                self._task.result()
            if time.perf_counter() > deadline:
                raise TimeoutError(f"export not running after {timeout} s")
            await asyncio.sleep(POLL_EVERY_S)

    def done_at(self, t: float) -> float:
        """Frames done at `t`, between the polls around it (linear)."""
        before = max((s for s in self.samples if s[0] <= t), default=self.samples[0])
        after = min((s for s in self.samples if s[0] >= t), default=self.samples[-1])
        if after[0] == before[0]:
            return float(before[1])
        return before[1] + (after[1] - before[1]) * (t - before[0]) / (after[0] - before[0])

    def figures(self, t0: float, t1: float) -> ExportFigures:
        if self._task is not None and self._task.done():
            self._task.result()  # it ended early: say so
        fps = (self.done_at(t1) - self.done_at(t0)) / (t1 - t0)
        return ExportFigures(fps=fps, t0=t0, t1=t1)

    async def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
        if self.url:
            await self.http.delete(self.url)
