#!/usr/bin/env bash
# Render docs/benchmarks_ablation.md and docs/benchmarks_selection.md from
# the JSON files that benchmarks/run_ablation.sh writes to docs/results/ablation/.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
J=docs/results/ablation
$PY -m benchmarks.ablation_report --out docs/benchmarks_ablation.md \
    --intro benchmarks/ablation_intro.md \
    --run "A=$J/A_core.json" --run "A=$J/A_biased.json" \
    --run "A=$J/A_rest.json" --run "A=$J/A_rest2.json" \
    --run "B=$J/B_core.json" --run "B=$J/B_rest.json" \
    --run "A, 1200 it=$J/A_long.json"
$PY -m benchmarks.ablation_report --out docs/benchmarks_selection.md \
    --title 'Selection of the deviation (held-out split, seeds 0 and 1)' \
    --run "paper=$J/selection_paper.json" --run "paper=$J/selection_base.json" \
    --run "norm 0.8=$J/selection_norm.json" \
    --run "min-max target=$J/selection_minmax.json" \
    --run "biased b=3=$J/selection_biased.json"
