"""Accuracy with the feature bank vs the file loader, over seeds.

Runs ``tools/multi_seed.py`` on one config twice, with ``feature_bank``
off and on (same seeds, same schedule, side by side so both sweeps see the
same machine load), and writes both sweeps' mAP
summaries with the difference of the means and its standard error
``sqrt(s_file^2 / n + s_bank^2 / n)`` (Welch):

    python -m benchmarks.bank_accuracy configs/dtrp_loc/trpn_synthetic.py \
        --seeds 0 1 2 3 4 --cfg-options train_cfg.max_iters=100 \
        train_cfg.val_interval=100 default_hooks.checkpoint.interval=100 \
        --out-json docs/results/feature_bank_accuracy.json
"""
import argparse
import json
import os.path as osp
import subprocess
import sys

import numpy as np

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)
from mmtrpn.utils.fileio import atomic_write_json  # noqa: E402

KEYS = ('wstal/mAP_AVG', 'wstal/mAP@0.50', 'wstal/mAP_AVG[0.1:0.5]')


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config')
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2, 3, 4])
    p.add_argument('--work-dir', default='work_dirs/bank_accuracy')
    p.add_argument('--cfg-options', nargs='+', default=[],
                   help='extra KEY=VALUE for both sweeps')
    p.add_argument('--out-json', required=True)
    return p.parse_args()


def start_sweep(args, name, extra):
    work = osp.join(args.work_dir, name)
    cmd = [sys.executable, osp.join(ROOT, 'tools', 'multi_seed.py'),
           args.config, '--seeds', *map(str, args.seeds), '--work-dir',
           work, '--skip-existing']
    options = args.cfg_options + extra
    if options:
        cmd += ['--cfg-options', *options]
    return subprocess.Popen(cmd, cwd=ROOT), work


def finish_sweep(proc, work):
    if proc.wait() != 0:
        raise SystemExit(f'sweep in {work} failed: see its multi_seed.log')
    with open(osp.join(ROOT, work, 'multi_seed.json')) as f:
        return json.load(f)


def compare(file_run, bank_run, key):
    a = np.array([file_run['per_seed'][s][key] for s in file_run['per_seed']])
    b = np.array([bank_run['per_seed'][s][key] for s in bank_run['per_seed']])
    diff = float(b.mean() - a.mean())
    se = float(np.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size))
    return dict(file=a.round(3).tolist(), bank=b.round(3).tolist(),
                file_mean=round(float(a.mean()), 3),
                file_std=round(float(a.std(ddof=1)), 3),
                bank_mean=round(float(b.mean()), 3),
                bank_std=round(float(b.std(ddof=1)), 3),
                bank_minus_file=round(diff, 3),
                standard_error=round(se, 3),
                within_2_standard_errors=bool(abs(diff) <= 2 * se))


def main():
    args = parse_args()
    runs = [start_sweep(args, 'file', []),
            start_sweep(args, 'bank', ['feature_bank=True'])]
    file_run, bank_run = [finish_sweep(*r) for r in runs]
    out = dict(
        command=' '.join(['python benchmarks/bank_accuracy.py'] +
                         sys.argv[1:]),
        config=args.config, seeds=args.seeds, cfg_options=args.cfg_options,
        wall_s=dict(file=file_run['wall_s'], bank=bank_run['wall_s']),
        metrics={k: compare(file_run, bank_run, k) for k in KEYS})
    atomic_write_json(args.out_json, out, indent=1)
    print(json.dumps(out['metrics'], indent=1))


if __name__ == '__main__':
    main()
