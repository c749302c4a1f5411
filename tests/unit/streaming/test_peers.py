"""SessionPeers relays control messages to the other devices of a session only."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from depthcast.streaming.peers import ControlBudget, SessionPeers
from depthcast.streaming.protocol import Control, Peers, client_message_adapter


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Control | Peers] = []

    def post(self, message: Control | Peers) -> None:
        self.messages.append(message)

    def counts(self) -> list[int]:
        return [m.count for m in self.messages if isinstance(m, Peers)]


def test_control_reaches_the_other_devices_of_the_session_only() -> None:
    peers = SessionPeers()
    headset, phone, elsewhere = Inbox(), Inbox(), Inbox()
    peers.join("a", headset)
    peers.join("a", phone)
    peers.join("b", elsewhere)
    seek = Control(action="seek", time_s=12.5)
    assert peers.relay("a", phone, seek) == 1
    assert seek in headset.messages
    assert seek not in phone.messages and seek not in elsewhere.messages


def test_every_device_learns_how_many_others_there_are() -> None:
    peers = SessionPeers()
    headset, phone = Inbox(), Inbox()
    peers.join("a", headset)
    peers.join("a", phone)
    assert headset.counts() == [0, 1] and phone.counts() == [1]
    peers.leave("a", phone)
    assert headset.counts() == [0, 1, 0]
    peers.leave("a", headset)
    assert peers.count("a") == 0
    peers.leave("a", headset)  # twice is harmless


def test_control_messages_need_their_argument() -> None:
    for bad in ({"type": "control", "action": "seek"}, {"type": "control", "action": "mode"},
                {"type": "control", "action": "open"},
                {"type": "control", "action": "open", "session_id": "../etc"},
                {"type": "control", "action": "mode", "mode": "hologram"}):
        with pytest.raises(ValidationError):
            client_message_adapter.validate_python(bad)
    ok = client_message_adapter.validate_python({"type": "control", "action": "open",
                                                 "session_id": "Ab-9_x"})
    assert isinstance(ok, Control) and ok.session_id == "Ab-9_x"
    stereo = client_message_adapter.validate_python({"type": "control", "action": "mode",
                                                     "mode": "anaglyph"})
    assert isinstance(stereo, Control) and stereo.mode == "anaglyph"  # every viewer mode


def test_control_budget_allows_bursts_then_the_sustained_rate() -> None:
    budget = ControlBudget(rate_per_s=10, burst=5)
    now = 100.0
    budget._at = now  # noqa: SLF001 - a fixed clock
    assert [budget.take(now) for _ in range(7)] == [True] * 5 + [False] * 2
    assert budget.refused == 2
    assert budget.take(now + 0.15) and not budget.take(now + 0.15)
