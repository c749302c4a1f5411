#!/usr/bin/env python3
"""Where a forward pass spends its time: backbone against head, one frame at a time.

Sets `BACKBONE_SHARE` in inference/da3_forward.py (the weight of an abandoned pass's
cancellation points); prints only, writes nothing.
"""

from __future__ import annotations

import argparse
import statistics
import time

from depthcast.inference.da3_forward import _dualdpt_depth
from scripts.bench.common import BareForward, machine, setup_logging, table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model-id", default="random:da3-small")
    parser.add_argument("--process-res", type=int, default=252)
    parser.add_argument("--frames", type=int, default=15)
    args = parser.parse_args()
    setup_logging()
    bare = BareForward(args.model_id, args.process_res, 1280, 720)
    torch, net, x = bare.torch, bare.engine._net, bare.x
    height, width = x.shape[-2:]
    backbone_s: list[float] = []
    head_s: list[float] = []
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
        for _ in range(args.frames):
            started = time.perf_counter()
            feats, _ = net.backbone(x, cam_token=None, export_feat_layers=[])
            middle = time.perf_counter()
            with torch.autocast("cpu", enabled=False):
                _dualdpt_depth(net.head, feats, height, width)
            backbone_s.append(middle - started)
            head_s.append(time.perf_counter() - middle)
    backbone, head = statistics.median(backbone_s), statistics.median(head_s)
    print(table([  # noqa: T201 - a benchmark prints its table
        ("machine", machine()),
        ("model / input", f"{args.model_id}, {width}x{height}"),
        ("backbone ms, median", f"{backbone * 1000:.1f}"),
        ("head ms, median", f"{head * 1000:.1f}"),
        ("backbone share", f"{backbone / (backbone + head):.2f}"),
    ]))


if __name__ == "__main__":
    main()
