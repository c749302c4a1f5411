"""QR codes of a URL: for the console (text) and for the page (SVG)."""

from __future__ import annotations

import io

import segno


def terminal_qr(url: str) -> str:
    """The QR code as text: two modules a character (half blocks), light on dark terminals."""
    out = io.StringIO()
    segno.make(url, error="m").terminal(out=out, compact=True)
    return out.getvalue()


def svg_qr(url: str, scale: int = 6) -> bytes:
    """The QR code as a standalone SVG, black on white with the standard 4-module border."""
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=scale, border=4, dark="#000",
                                     light="#fff", xmldecl=False, svgclass=None, lineclass=None)
    return out.getvalue()
