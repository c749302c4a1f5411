"""The devices that have one session open: remote-control relay and peer counts.

A phone and a headset open the same session; `control` messages from one reach the others
through here. Everything runs on the event loop (connections register and post from their
own tasks), so there is no lock; posting goes into each connection's bounded outbox.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from typing import Protocol

from depthcast.streaming.protocol import Control, Peers

logger = logging.getLogger(__name__)

CONTROL_RATE_PER_S = 20.0  # control messages one connection may send per second, sustained
CONTROL_BURST = 40


class Peer(Protocol):
    """A connection that can be told about its peers (non-blocking: queues the message)."""

    def post(self, message: Control | Peers) -> None: ...


class ControlBudget:
    """A token bucket: how many control messages a connection may still send now."""

    def __init__(self, rate_per_s: float = CONTROL_RATE_PER_S, burst: float = CONTROL_BURST) -> None:
        self.rate = rate_per_s
        self.burst = burst
        self._tokens = burst
        self._at = time.monotonic()
        self.refused = 0

    def take(self, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        self.refused += 1
        return False


class SessionPeers:
    """Which connections have which session open."""

    def __init__(self) -> None:
        self._by_session: defaultdict[str, list[Peer]] = defaultdict(list)

    def join(self, session_id: str, peer: Peer) -> None:
        """Register `peer`; everyone of the session learns the new count."""
        self._by_session[session_id].append(peer)
        self._announce(session_id)

    def leave(self, session_id: str, peer: Peer) -> None:
        peers = self._by_session.get(session_id)
        if peers is None or peer not in peers:
            return
        peers.remove(peer)
        if peers:
            self._announce(session_id)
        else:
            del self._by_session[session_id]

    def count(self, session_id: str) -> int:
        return len(self._by_session.get(session_id, ()))

    def relay(self, session_id: str, sender: Peer, message: Control) -> int:
        """Pass `message` to every other connection of the session; how many got it."""
        others = [p for p in self._by_session.get(session_id, ()) if p is not sender]
        for peer in others:
            peer.post(message)
        return len(others)

    def _announce(self, session_id: str) -> None:
        peers = self._by_session.get(session_id, [])
        for peer in peers:
            peer.post(Peers(count=len(peers) - 1))
