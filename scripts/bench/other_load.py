"""Other work on the machine while a benchmark measures: the cores busy outside the server
under test and the benchmark itself."""

from __future__ import annotations

import asyncio
import time

import psutil

from scripts.bench.common import logger


class OtherLoad:
    """Cores the machine spent on anything but the server and this benchmark (time stolen by
    the hypervisor included): a phase measured beside other work says so."""

    def __init__(self, server_pid: int) -> None:
        self._ours = [psutil.Process(server_pid), psutil.Process()]
        self._since = self._read()

    def _read(self) -> tuple[float, float, float]:
        cpu = psutil.cpu_times()
        busy = sum(getattr(cpu, name, 0.0) for name in
                   ("user", "nice", "system", "irq", "softirq", "steal"))
        ours = sum(sum(p.cpu_times()[:2]) for p in self._ours)
        return time.perf_counter(), busy, ours

    def restart(self) -> None:
        self._since = self._read()

    def cores(self) -> float:
        (t0, busy0, ours0), (t1, busy1, ours1) = self._since, self._read()
        return max(0.0, ((busy1 - busy0) - (ours1 - ours0)) / (t1 - t0))

    async def quiet(self, below: float, most_s: float) -> float:
        """Wait (at most `most_s`) for 2 s with less than `below` cores of other work;
        returns the seconds waited."""
        started = time.perf_counter()
        while time.perf_counter() - started < most_s:
            self.restart()
            await asyncio.sleep(2.0)
            if self.cores() < below:
                break
        waited = time.perf_counter() - started - 2.0
        if waited >= 1.0:
            logger.info("  waited %.0f s for other work on the machine to end", waited)
        return waited
