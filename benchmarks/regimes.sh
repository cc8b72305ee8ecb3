# Sourced by the run_*.sh scripts: one torch thread per run, the Python to
# use, where the JSONs go, and the data regimes of the ablation over the
# THUMOS-14 layout: A (every generator difficulty on) and B (context,
# modality split and weak boundaries off).
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
PY=${PYTHON:-.venv/bin/python}
OUT=docs/results/ablation
A="--data-root work_dirs/abl_A"
B="--data-root work_dirs/abl_B --gen-options context=False modality_split=False weak_boundaries=False"
