#!/usr/bin/env bash
# The GPU checks of the feature bank and AMP, in one command, for a session
# that is lent a GPU (not run on a GPU yet; docs/feature_bank.md):
#
#   bash benchmarks/run_gpu_bench.sh            # writes into $OUT or docs/results
#
# 1. trpn_thumos, co2net_thumos, ASM-Loc steps 0 and 1: file loader and
#    feature bank, AMP off and on, 200 iterations each (ratios in the JSON;
#    ASM-Loc step 1 is file-loader only: its pipeline resamples segments).
# 2. The full trpn_thumos schedule (training with its validations, then the
#    test) end to end with the bank and AMP.
# The GPU image has no package registry: mmengine, mmcv-lite, mmaction2,
# orjson, addict, yapf and termcolor must come as wheels in $WHEELS
# (default shared/wheels), built or downloaded beforehand.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT_DIR=${OUT:-docs/results}
WHEELS=${WHEELS:-shared/wheels}
PY=${PYTHON:-python}
mkdir -p "$OUT_DIR"
if ! "$PY" -c 'import mmengine, mmaction, orjson' 2>/dev/null; then
    "$PY" -m pip install --no-index --find-links "$WHEELS" \
        mmengine mmcv-lite mmaction2 orjson addict yapf termcolor
fi
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
TRPN=configs/dtrp_loc/trpn_thumos.py
DATA=${DATA_ROOT:-work_dirs/gpu_bench_data}

"$PY" -m benchmarks.bench_train_runner \
    --configs "$TRPN" configs/co2net/co2net_thumos.py \
    configs/asm_loc/asm_loc_thumos_step0.py \
    configs/asm_loc/asm_loc_thumos_step1.py \
    --paths file bank --amp off on --iters 200 --skip 40 --videos 64 \
    --data-root "$DATA" --out-json "$OUT_DIR/bench_train_runner_cuda_bank.json"

"$PY" -m benchmarks.bench_train_runner --configs \
    --full-schedule "$TRPN" --paths bank --amp on --videos 64 \
    --data-root "$DATA" --out-json "$OUT_DIR/bench_train_runner_cuda_full.json"
