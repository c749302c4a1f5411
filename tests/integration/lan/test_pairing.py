"""The pairing secret on disk: made once, kept across restarts, replaced on request."""

from __future__ import annotations

import stat
from pathlib import Path

from depthcast.lan.pairing import Pairing


def test_secret_is_made_once_kept_private_and_reset_on_request(tmp_path: Path) -> None:
    lan = tmp_path / "lan"
    first = Pairing.load_or_create(lan)
    path = lan / "pairing-secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == first.secret and len(first.secret) >= 40
    assert Pairing.load_or_create(lan) == first  # a restart keeps paired devices paired
    reset = Pairing.load_or_create(lan, reset=True)
    assert reset.secret != first.secret and reset.cookie_value != first.cookie_value
    assert Pairing.load_or_create(lan) == reset


def test_a_short_or_empty_secret_file_is_replaced(tmp_path: Path) -> None:
    lan = tmp_path / "lan"
    lan.mkdir()
    (lan / "pairing-secret").write_text("short\n")
    assert len(Pairing.load_or_create(lan).secret) >= 40
