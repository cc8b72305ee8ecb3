#!/usr/bin/env bash
# Render docs/benchmarks_method.md (selection) and
# docs/benchmarks_method_confirmation.md from the JSON files that
# benchmarks/run_method.sh writes to docs/results/ablation/; the intro
# (benchmarks/method_intro.md) says which runner made them.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
J=docs/results/ablation
runs() {  # --run LABEL=FILE for every existing file of a glob
    local label=$1; shift
    for f in "$@"; do [ -f "$f" ] && printf -- '--run\n%s=%s\n' "$label" "$f"; done
    true  # a missing last file must not end the list (set -e)
}
# the former runner's files only (items 4-5 below are the current runner's)
mapfile -t SEL < <(runs A $J/method_sel_A.json $J/method_sel_A_co[!2]*.json $J/method_sel_A_loops.json \
    $J/method_sel_A_scaled.json; \
    runs B $J/method_sel_B.json $J/method_sel_B_coverage*.json $J/method_sel_B_loops.json; \
    runs N $J/method_sel_N.json $J/method_sel_N_coverage*.json $J/method_sel_N_norm.json $J/method_sel_N_scaled.json; \
    runs "A, CO2-Net" $J/method_sel_A_co2net*.json)
$PY -m benchmarks.method_report "${SEL[@]}" --intro benchmarks/method_intro.md --out docs/benchmarks_method.md \
    --title 'What the masked branch teaches the classifier: selection (held-out, seeds 0 and 1)'
# confirmation: the A/B baselines at these seeds are the ablation's own runs
mapfile -t CONF < <(runs A $J/method_conf_A_default.json $J/A_core.json; \
    runs B $J/method_conf_B_default.json $J/B_core.json; \
    runs N $J/method_conf_N_default.json $J/method_conf_N_paper.json $J/method_conf_N_base.json; \
    runs "A, 1200 it" $J/method_conf_A_long_default.json $J/A_long.json)
$PY -m benchmarks.method_report "${CONF[@]}" --intro benchmarks/method_intro.md --seeds-note 'seeds 10-14 (1200 it: 10-12)' \
    --out docs/benchmarks_method_confirmation.md \
    --title 'What the masked branch teaches the classifier: confirmation (fresh seeds, after the choice)'
# issue 17 items 4-5, made by the current runner beside its own rerun of
# the default: a table of their own, never mixed with the former runner's
I45="default k20_focus k10_focus three-way three-way_no-norm bg-topk pooled"
mapfile -t I45RUNS < <(for r in A B N; do runs $r $(for o in $I45; do echo $J/method_sel_${r}_$o.json; done); done; \
    runs "N, seeds 2-5" $J/method_sel_N_seeds2-5*.json; runs "N, 1200 it, seeds 0-3" $J/method_sel_N_long*.json; \
    runs "N, lr 1e-4, 5000 it, seeds 0-2" $J/method_sel_N_lr1e-4.json)
$PY -m benchmarks.method_report "${I45RUNS[@]}" --intro benchmarks/method_items45_intro.md \
    --seeds-note 'seeds 0 and 1 where the column names none' \
    --out docs/benchmarks_method_items45.md \
    --title 'What the masked branch teaches the classifier: issue 17 items 4-5 and mask_features (held-out, seeds 0 and 1, current runner)'
# confirmations made later by the current runner (its own carve): the
# configs' own optimiser settings on A, B and N, and twice the schedule on B and N
mapfile -t CONF2 < <(runs "A, lr 1e-4, 5000 it" $J/method_conf_A_lr1e-4_*.json; \
    runs "B, lr 1e-4, 5000 it" $J/method_conf_B_lr1e-4.json; runs "N, lr 1e-4, 5000 it" $J/method_conf_N_lr1e-4.json; \
    runs "B, 1200 it" $J/method_conf_B_long.json; runs "N, 1200 it" $J/method_conf_N_long.json)
$PY -m benchmarks.method_report "${CONF2[@]}" --intro benchmarks/method_confirmation_current_intro.md \
    --seeds-note 'seeds 10-12' --out docs/benchmarks_method_confirmation_current.md \
    --title 'What the masked branch teaches the classifier: confirmation by the current runner (fresh seeds, after the choice)'
