#!/usr/bin/env bash
# Every ablation run behind docs/benchmarks_ablation.md and
# docs/benchmarks_selection.md, then the two reports. About 3 h on 2 CPU
# cores (one torch thread per run, two runs at a time).
set -euo pipefail
source "$(dirname "$0")/regimes.sh"  # PY, OUT, regimes A and B
run() { $PY -m benchmarks.ablation --no-md --t-train 160 "$@"; }

# selection: seeds 0 and 1, held-out split only
SEL="$A --iters 600 --seeds 0 1"
run $SEL --only t3_02 t4_gt --work-dir work_dirs/sel/base --out-json $OUT/selection_base.json
run $SEL --only t3_10 --work-dir work_dirs/sel/v0 --out-json $OUT/selection_paper.json
run $SEL --only t3_10 --work-dir work_dirs/sel/norm --out-json $OUT/selection_norm.json \
    --cfg-options model.proposal_stage.loss_weights.norm=0.8
run $SEL --only t3_10 --work-dir work_dirs/sel/minmax --out-json $OUT/selection_minmax.json \
    --cfg-options "model.proposal_stage.loss_pseudo_label.target_rescale='minmax'"
run $SEL --only t3_10 --work-dir work_dirs/sel/b3 --out-json $OUT/selection_biased.json \
    --cfg-options model.proposal_stage.rpn_head.train_mask_bias=3.0

# tables: fresh seeds 10-14
S="--iters 600 --seeds 10 11 12 13 14"
run $A $S --only t3_01 t3_02 t3_06 t3_10 t3_10n t4_gt --work-dir work_dirs/final/A --out-json $OUT/A_core.json
run $A $S --only t3_10b --jobs 1 --work-dir work_dirs/final/Ab --out-json $OUT/A_biased.json
run $B $S --only t3_01 t3_02 t3_10 t3_10n t3_10b t4_gt --work-dir work_dirs/final/B --out-json $OUT/B_core.json
run $A --iters 1200 --seeds 10 11 12 --only t3_02 t3_10n t3_10b --work-dir work_dirs/final/L --out-json $OUT/A_long.json
run $A $S --only t3_03 t3_04 t3_05 t3_07 t3_08 t3_09 --work-dir work_dirs/final/A --out-json $OUT/A_rest.json
run $A $S --only t3_07n t3_08n t3_09n t4_gt_train --work-dir work_dirs/final/A --out-json $OUT/A_rest2.json
run $B $S --only t3_06 --work-dir work_dirs/final/B --out-json $OUT/B_rest.json

bash benchmarks/render_ablation.sh
