"""PassGate: viewers' passes never wait, bulk passes take at most their share while viewers play.

Passes here are sleeps of tens of milliseconds in real threads; bounds are generous so a
loaded 2-core machine does not make them flaky.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from depthcast.inference.gate import MIN_QUIET_S, PassGate


@contextmanager
def viewer_pass_held(gate: PassGate) -> Iterator[None]:
    """A viewer's pass running in another thread for as long as the block lasts."""
    entered, release = threading.Event(), threading.Event()

    def run() -> None:
        with gate.interactive():
            entered.set()
            release.wait(5.0)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert entered.wait(2.0)
    try:
        yield
    finally:
        release.set()
        thread.join(5.0)


def spent_bulk_turn(gate: PassGate) -> None:
    """A bulk pass that overlapped a viewer's: at share 0 the next one waits for idle time."""
    with viewer_pass_held(gate), gate.bulk():
        time.sleep(0.01)


def test_share_must_be_within_0_and_1() -> None:
    for share in (-0.1, 1.5):
        with pytest.raises(ValueError, match="share"):
            PassGate(share)


def test_viewer_passes_never_wait_even_while_bulk_work_runs_or_is_held() -> None:
    gate = PassGate(0.0)
    spent_bulk_turn(gate)  # bulk work is held back from now on while viewers play
    bulk_running, release = threading.Event(), threading.Event()

    def bulk() -> None:
        with gate.bulk():
            bulk_running.set()
            release.wait(5.0)

    with viewer_pass_held(gate):  # the model is busy with a viewer: bulk waits...
        thread = threading.Thread(target=bulk, daemon=True)
        thread.start()
        for _ in range(5):  # ...while other viewers' passes go straight in
            asked = time.perf_counter()
            with gate.interactive():
                waited = time.perf_counter() - asked
            assert waited < 0.05
        assert not bulk_running.is_set()
    assert bulk_running.wait(2.0)  # the viewers went quiet: its turn
    with viewer_pass_held(gate):  # a viewer's pass beside a running bulk pass: no wait
        pass
    release.set()
    thread.join(5.0)


def test_a_bulk_pass_on_an_idle_gate_runs_at_once() -> None:
    gate = PassGate(0.0)
    spent_bulk_turn(gate)  # not bulk work's turn: only idle time is left to it
    time.sleep(MIN_QUIET_S + 0.05)  # the viewers' last pass ended a quiet interval ago
    assert gate.idle()
    asked = time.perf_counter()
    with gate.bulk():
        waited = time.perf_counter() - asked
    assert waited < 0.05
    assert gate.bulk_waits == 0


def bulk_share_beside_busy_viewers(share: float, seconds: float) -> float:
    """Viewer passes of 10 ms back to back in one thread, bulk passes of 20 ms in another as
    often as the gate lets them; the bulk passes' share of the wall time."""
    gate = PassGate(share)
    stop = threading.Event()

    def viewer() -> None:
        while not stop.is_set():
            with gate.interactive():
                time.sleep(0.01)

    thread = threading.Thread(target=viewer, daemon=True)
    thread.start()
    time.sleep(0.03)  # the viewer plays before the export starts
    busy = 0.0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        with gate.bulk():
            pass_started = time.perf_counter()
            time.sleep(0.02)
            busy += time.perf_counter() - pass_started
    elapsed = time.perf_counter() - started
    stop.set()
    thread.join(5.0)
    return busy / elapsed


def test_bulk_passes_are_held_to_about_their_share_while_viewers_play() -> None:
    assert 0.1 <= bulk_share_beside_busy_viewers(0.25, 0.6) <= 0.4
    assert bulk_share_beside_busy_viewers(1.0, 0.15) >= 0.8  # share 1: never held back


def test_a_cancelled_waiter_returns_promptly() -> None:
    gate = PassGate(0.0)
    spent_bulk_turn(gate)
    cancelled = threading.Event()
    entered = threading.Event()

    def waiter() -> None:
        with gate.bulk(cancelled.is_set):
            entered.set()

    with viewer_pass_held(gate):  # no idle time, no share: it waits...
        thread = threading.Thread(target=waiter, daemon=True)
        thread.start()
        assert not entered.wait(0.15)
        cancelled.set()
        asked = time.perf_counter()
        assert entered.wait(2.0)  # ...until it is cancelled
        assert time.perf_counter() - asked < 0.5
        thread.join(2.0)
    assert gate.bulk_waits == 1
