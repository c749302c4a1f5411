#!/usr/bin/env bash
# Every benchmark, one after the other (about 35 minutes on 2 CPU cores): each prints its
# table, writes scripts/bench/results/*.json and its section of OPTIMIZATION_DETAILS.md.
# Run them on a quiet machine: they share its cores with nothing else.
set -euo pipefail
cd "$(dirname "$0")"
. ../../.venv/bin/activate
export DA3_LOG_LEVEL=${DA3_LOG_LEVEL:-WARN}
python bench_efficiency.py
python bench_capacity.py
python bench_seek.py --infer-workers 1 --profile
python bench_bandwidth.py --engine model
python bench_bandwidth.py --engine noop
python bench_memory.py
