#!/usr/bin/env bash
# The GPU device check of issue 14 (docs/GPU.md): one call, under 8 minutes, on a bare GPU
# machine with no network.
#   here, once:      scripts/bench/gpu_wheels.sh        (the packages it lacks, into .whl/)
#   on the device:   bash scripts/bench/gpu_check.sh [OUT]   (device tool: carry [".whl"])
# Steps, each under its own time limit, each logged into OUT (default $OUT, else gpu_check/):
#   1. the engine and streaming tests on CUDA (tests.log);
#   2. bench_gpu: bare batched forward fps for batch 1, 4, 8, 16 and delivered fps for 1, 2
#      and 4 concurrent viewers of a 1080p clip, GPU memory (gpu_bench.json, gpu_bench.md);
#   3. bench_seek: seek to first new depth frame (seek.log);
# then summary.txt (also printed). Without CUDA it stops at once: exit code 2.
# GPU_CHECK_STEPS picks steps (default "tests bench seek"); "levers" (bench_gpu_levers: SDPA
# backends, channels-last, torch.compile, CUDA graphs; up to 7 minutes) is a call of its own.
# GPU_CHECK_DRY=1 runs the same steps on the CPU, small, to check the script itself.
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${1:-${OUT:-gpu_check}}
mkdir -p "$out"
py=${PYTHON:-python3}
dry=${GPU_CHECK_DRY:-0}
model=${GPU_CHECK_MODEL:-random:da3metric-large}
res=${GPU_CHECK_RES:-640}

if [ "$dry" != 1 ] && ! "$py" -c "import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)"; then
  echo "gpu_check: no CUDA device here ($py's torch sees none): run it on a GPU machine" \
       "(GPU_CHECK_DRY=1 for a dry run on the CPU)" | tee "$out/summary.txt"
  exit 2
fi
if [ -d .whl ] && ! "$py" -c "import av, fastapi, pydantic_settings, depth_anything_3.cfg" 2>/dev/null; then
  site=/tmp/gpu_check_site
  "$py" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target "$site" .whl/*.whl || { echo "gpu_check: the wheels in .whl/ did not install"; exit 3; }
  export PYTHONPATH=$site${PYTHONPATH:+:$PYTHONPATH}
fi
export PYTHONPATH=$PWD/backend:$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
export DA3_LOG_LEVEL=WARN
if ! "$py" -c "import av, fastapi, uvicorn, pydantic_settings, depth_anything_3.cfg, depthcast.app"; then
  echo "gpu_check: packages missing; run scripts/bench/gpu_wheels.sh here and carry .whl" \
    | tee "$out/summary.txt"
  exit 3
fi

: > "$out/steps.txt"
step() {  # step NAME SECONDS COMMAND...: run with a limit, log to OUT/NAME.log, note the result
  local name=$1 limit=$2 started=$SECONDS
  shift 2
  echo "gpu_check: $name (at most $limit s)"
  timeout -k 10 "$limit" "$@" > "$out/$name.log" 2>&1
  local rc=$?
  echo "$name: exit $rc after $((SECONDS - started)) s$([ $rc = 124 ] && echo ' (time limit)')" \
    | tee -a "$out/steps.txt"
}

if [ "$dry" = 1 ]; then
  tests=(tests/unit/inference tests/integration/inference/test_yuv.py)
  bench=(--allow-cpu --model-id random:da3-small --process-res 126 --batches 1,4 --viewers 1,2
         --frames 24 --width 320 --height 180 --bare-seconds 1)
  seek=(--model-id random:da3-small --process-res 126 --seeks 3 --seconds 4)
  levers=(--allow-cpu --model-id random:da3-small --process-res 126 --batch 2 --seconds 1
          --levers baseline,flash,math,channels_last)
else
  nvidia-smi > "$out/nvidia-smi.txt" 2>&1
  tests=(tests/unit/inference tests/unit/scheduling tests/unit/streaming
         tests/integration/inference tests/integration/scheduling
         tests/integration/api/test_stream.py)
  bench=(--model-id "$model" --process-res "$res")
  seek=(--model-id "$model" --process-res "$res" --seeks 10 --seconds 10)
  levers=(--model-id "$model" --process-res "$res")
fi
steps=${GPU_CHECK_STEPS:-tests bench seek}
for name in $steps; do
  case $name in
    tests) step tests 170 "$py" -m pytest -q -p no:cacheprovider --timeout 120 "${tests[@]}" ;;
    bench) step bench 210 "$py" -m scripts.bench.bench_gpu --out "$out" "${bench[@]}" ;;
    seek) step seek 90 "$py" -m scripts.bench.bench_seek --no-write "${seek[@]}" ;;
    levers) step levers 420 "$py" -m scripts.bench.bench_gpu_levers --out "$out" "${levers[@]}" ;;
    *) echo "gpu_check: no step $name (tests, bench, seek, levers)"; exit 3 ;;
  esac
done

{
  echo "# gpu_check $(date -u +%FT%TZ)"
  "$py" -c "import torch; print('torch', torch.__version__, torch.cuda.get_device_name() if torch.cuda.is_available() else 'no CUDA')"
  cat "$out/steps.txt"
  echo "## tests"; grep -E "(passed|failed|error)" "$out/tests.log" | tail -3
  grep -E "^(FAILED|ERROR) " "$out/tests.log" | head -20
  echo "## bench_gpu"; cat "$out/gpu_bench.md" 2>/dev/null || tail -5 "$out/bench.log"
  echo "## bench_seek"; grep -E "^\|" "$out/seek.log" 2>/dev/null || tail -5 "$out/seek.log"
  [ -f "$out/gpu_levers.md" ] && { echo "## levers"; cat "$out/gpu_levers.md"; }
} > "$out/summary.txt" 2>&1
cat "$out/summary.txt"
