#!/usr/bin/env bash
# Every benchmark, one after the other (about 55 minutes on 2 CPU cores): each prints its
# table, writes scripts/bench/results/*.json and its section of OPTIMIZATION_DETAILS.md.
# Run them on a quiet machine: they share its cores with nothing else.
set -euo pipefail
cd "$(dirname "$0")/../.."  # the benchmarks run as modules from the repository root
. .venv/bin/activate
export DA3_LOG_LEVEL=${DA3_LOG_LEVEL:-WARN}
python -m scripts.bench.bench_efficiency
python -m scripts.bench.bench_core
python -m scripts.bench.bench_export
python -m scripts.bench.bench_export --ten-minutes
python -m scripts.bench.bench_export_share
python -m scripts.bench.bench_capacity
python -m scripts.bench.bench_seek --infer-workers 1 --profile
python -m scripts.bench.bench_bandwidth --engine model
python -m scripts.bench.bench_bandwidth --engine noop
python -m scripts.bench.bench_wire_encoding
python -m scripts.bench.bench_memory
python -m scripts.bench.bench_hostile
python -m scripts.bench.bench_transcode
python -m scripts.bench.bench_adaptive_quality
python -m scripts.bench.bench_stereo
python -m scripts.bench.bench_stabilize
python -m scripts.bench.bench_yuv
python -m scripts.bench.bench_scene
python -m scripts.bench.bench_live
python -m scripts.bench.bench_batch
python -m scripts.bench.bench_ray_frames
# The webrtc extra (aiortc) serves only this comparison; neither the server nor the tests need it.
python -m pip install --disable-pip-version-check -q -c requirements/constraints.txt -e ".[webrtc]"
python -m scripts.bench.bench_live_transport
