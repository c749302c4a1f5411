"""The docs match the code: every setting is in the README table, the header example is real."""

from __future__ import annotations

import json
import re
from pathlib import Path

from depthcast.settings import Settings
from depthcast.streaming.protocol import DepthFlags, DepthFrameHeader

REPO = Path(__file__).resolve().parents[2]


def test_every_setting_is_documented_with_its_default() -> None:
    readme = (REPO / "README.md").read_text()
    rows = dict(re.findall(r"^\| `(VIDEO_DEPTH_[A-Z_]+)` \| ([^|]+) \|", readme, flags=re.MULTILINE))
    names = {f"VIDEO_DEPTH_{name.upper()}" for name in Settings.model_fields}
    assert names == set(rows), f"README table differs: {names ^ set(rows)}"
    for name, field in Settings.model_fields.items():
        default = field.default if field.default_factory is None else field.default_factory()
        cell = rows[f"VIDEO_DEPTH_{name.upper()}"].strip().strip("`")
        if default is None:
            assert cell == "unset"
        elif isinstance(default, bool):
            assert cell == str(default).lower()
        elif isinstance(default, float):
            assert float(cell) == default
        elif isinstance(default, list):  # set as JSON in the environment
            assert json.loads(cell) == default, name
        else:
            assert cell == str(default), name


def hex_dump(doc: str, heading: str) -> bytes:
    """The bytes of the `offset: xx xx ...` lines in the section under `heading`."""
    start = doc.index(heading + "\n")
    section = doc[start:doc.index("\n### ", start + len(heading))]
    lines = re.findall(r"^\s*(\d+): ((?:[0-9a-f]{2} ){0,7}[0-9a-f]{2})", section, re.MULTILINE)
    assert [int(offset) for offset, _ in lines] == [8 * i for i in range(len(lines))]
    return bytes.fromhex("".join(hexes.replace(" ", "") for _, hexes in lines))


def test_protocol_worked_example_matches_the_packer() -> None:
    doc = (REPO / "docs" / "PROTOCOL.md").read_text()
    data = hex_dump(doc, "### Worked example")
    header = DepthFrameHeader.unpack(data)
    assert (header.frame_index, header.pts_us, header.width, header.height) == (42, 1_400_000, 2, 2)
    assert header.flags == DepthFlags.METRIC and header.generation == 3 and header.bias == 1.0
    samples = [int.from_bytes(data[48 + 2 * i:50 + 2 * i], "little") for i in range(4)]
    depth = [s * header.scale + header.bias for s in samples]
    assert [round(d, 3) for d in depth] == [1.0, 2.0, 3.0, 5.0]


def test_protocol_worked_example_of_encoding_2_decodes_as_it_says() -> None:
    import zlib

    import numpy as np

    from depthcast.client import decode_depth_frame
    from depthcast.streaming.depth_codec import encode_predicted
    from depthcast.streaming.protocol import DepthEncoding

    doc = (REPO / "docs" / "PROTOCOL.md").read_text()
    data = hex_dump(doc, "### Worked example: encoding 2")
    frame = decode_depth_frame(data)
    header = frame.header
    assert (header.frame_index, header.pts_us, header.width, header.height) == (7, 233_333, 3, 2)
    assert header.encoding == DepthEncoding.UINT16_PREDICTED
    assert header.flags == DepthFlags.COMPRESSED | DepthFlags.METRIC
    assert header.payload_bytes == len(data) - 48 == 19
    samples = [[1000, 1010, 1020], [1100, 1110, 1120]]
    assert frame.samples.tolist() == samples
    assert [round(float(d), 4) for d in frame.depth.reshape(-1)] == [1.5, 1.51, 1.52, 1.6, 1.61,
                                                                     1.62]
    body = "01 03 | 07 00 00 00 00 00 | d0 14 14 c8 00 00"
    assert f"`{body}`" in doc
    inflated = bytes.fromhex(body.replace("|", "").replace(" ", ""))
    assert zlib.decompress(data[48:]) == inflated
    assert zlib.decompress(encode_predicted(np.array(samples, np.uint16))) == inflated


def test_typescript_protocol_mirror_is_generated_and_current() -> None:
    import subprocess
    import sys

    result = subprocess.run([sys.executable, str(REPO / "scripts" / "gen_protocol_ts.py"),
                             "--check"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    text = (REPO / "webapp" / "src" / "net" / "protocol.ts").read_text()
    assert "export const DEPTH_HEADER_BYTES = 48;" in text
    assert 'export interface Hello {' in text and 'type: "hello";' in text
    # a live session's video frame header and messages (docs/PROTOCOL.md, Live sessions)
    assert "export const VIDEO_HEADER_BYTES = 40;" in text and "capture_us: 24, // q" in text
    assert 'type: "live_status";' in text and "export interface LiveSessionOut {" in text


def test_protocol_doc_names_every_drop_reason_close_code_and_stats_field() -> None:
    from depthcast.domain.drops import DropReason
    from depthcast.streaming.protocol import CloseCode, Stats

    doc = (REPO / "docs" / "PROTOCOL.md").read_text()
    reasons = set(re.findall(r"^\| `([a-z_]+)` \| ", doc[doc.index("**`dropped` reasons**"):],
                             flags=re.MULTILINE))
    assert {r.value for r in DropReason} <= reasons
    codes = {int(c) for c in re.findall(r"^\| (\d{4}) \| ", doc, flags=re.MULTILINE)}
    assert codes == {int(c) for c in CloseCode}
    stats = doc[doc.index("**`stats` fields.**"):doc.index("**`dropped` reasons**")]
    documented = {name for row in re.findall(r"^\| (.+?) \| ", stats, flags=re.MULTILINE)
                  for name in re.findall(r"`([a-z_]+)`", row)}
    assert set(Stats.model_fields) - {"type"} <= documented


def test_protocol_doc_names_every_export_field_route_and_format() -> None:
    from depthcast.app import create_app
    from depthcast.domain.exports import EXPORT_FORMATS, ExportJobInfo, ExportSettings
    from depthcast.exports.runner import FORMATS

    doc = (REPO / "docs" / "PROTOCOL.md").read_text()
    section = doc[doc.index("### Export jobs"):doc.index("## WebSocket")]
    for name in [*ExportJobInfo.model_fields, *ExportSettings.model_fields]:
        assert f"`{name}`" in section, f"PROTOCOL.md's export section omits `{name}`"
    assert set(EXPORT_FORMATS) == set(FORMATS)
    for fmt in FORMATS:
        assert f"`{fmt}`" in section
    routes = {(method.upper(), path) for path, item in create_app().openapi()["paths"].items()
              if path.startswith("/api/sessions/{session_id}/exports") for method in item}
    assert len(routes) == 6
    for method, path in routes:
        row = f"| `{method} {path.replace('{session_id}', '{id}').replace('{job_id}', '{job}')}"
        assert row in doc, f"PROTOCOL.md's REST table omits {method} {path}"


def test_architecture_doc_covers_every_layer_of_the_import_contract() -> None:
    import tomllib

    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = next(c for c in config["contracts"] if c["type"] == "layers")["layers"]
    doc = (REPO / "docs" / "ARCHITECTURE.md").read_text()
    for layer in layers:
        for package in layer.split("|"):
            name = package.strip().removeprefix("depthcast.")
            assert f"`{name}`" in doc, f"{name} is a layer but docs/ARCHITECTURE.md omits it"
    for path in re.findall(r"`((?:api|core|domain|inference|media|scheduling|sessions|streaming)"
                           r"/[a-z_]+\.py)`", doc):
        assert (REPO / "backend" / "depthcast" / path).is_file(), f"ARCHITECTURE names {path}"
    assert "docs/ARCHITECTURE.md" in (REPO / "README.md").read_text()


def test_no_python_module_is_over_350_lines() -> None:
    exempt = {REPO / "backend" / "depthcast" / "streaming" / "protocol.py"}  # the declaration
    long = [f"{path.relative_to(REPO)}: {n}" for root in ("backend", "scripts", "tests")
            for path in (REPO / root).rglob("*.py")
            if path not in exempt and (n := len(path.read_text().splitlines())) > 350]
    assert not long, long
