#!/usr/bin/env python3
"""Start the depthcast server with the settings from the environment (see README)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backend"))

from depthcast.cli import main

if __name__ == "__main__":
    main()
