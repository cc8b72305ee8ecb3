"""Tables 3 and 4 of the paper on synthetic features over real THUMOS-14 layouts.

Generates features (once) that replay the THUMOS-14 annotation layout
(train = the 200 validation videos less ``--heldout-per-class`` videos of
each class moved to a held-out split by ``mmtrpn.datasets.splits``, test =
the 212 test videos: real durations, segment positions, lengths and
classes; ``--gen-options`` switch the generator's difficulties for another
data regime), then trains every requested cell of ``benchmarks/cells.yml``
(section ``ablation``: a config each) for several seeds, two trainings at a
time, one torch thread each. Each run scores the held-out split (the
only number choices may use) and the test split once after training, both
inference readings, and records training diagnostics against ground truth.
Writes the per-seed results as JSON; ``benchmarks/ablation_report.py``
renders the tables, and ``benchmarks/run_ablation.sh`` has every command
behind ``docs/benchmarks_ablation.md``.

Example (from the repository root)::

    .venv/bin/python -m benchmarks.ablation --only t3_01 t3_10 --seeds 0
"""
import argparse
import json
import os
import os.path as osp
import sys
import time

import numpy as np

from benchmarks.runs import (ROOT, add_data_args, adapt_runtime,
                             config_path, load_cells, make_data,
                             resolve_layout, run_jobs, score_with)

# key -> config under configs/, benchmarks/cells.yml
SETTINGS = load_cells('ablation')
# logged (never summed) training diagnostics kept per run, see
# DTRPLoc.log_gt_diagnostics
DIAG_KEYS = ('proposal_ratio', 'proposal_empty', 'fss_trpn_mean', 'gt_ratio',
             'prop_precision', 'prop_recall', 'fss_in_gt', 'fss_out_gt',
             'bg_in_gt', 'bg_out_gt', 'pl_in_gt', 'pl_out_gt',
             'classifier_gate', 'classifier_focus_ratio')


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_data_args(p)
    p.add_argument('--work-dir', default='work_dirs/ablation')
    p.add_argument('--iters', type=int, default=600)
    p.add_argument('--lr', type=float, default=1e-3)
    p.add_argument('--t-train', type=int, default=320)
    p.add_argument('--batch', type=int, default=16)
    p.add_argument('--hidden', type=int, default=64)
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    p.add_argument('--only', nargs='+', help='setting keys to run')
    p.add_argument('--jobs', type=int, default=2)
    p.add_argument('--cfg-options', nargs='+', default=[],
                   help='extra key=value (Python literal) model overrides '
                   'for every setting, e.g. model.proposal_stage.rpn_head.tau=0.5')
    p.add_argument('--out-json', default='work_dirs/ablation.json')
    # kept so the recorded commands still parse; reports are rendered by
    # benchmarks/ablation_report.py
    p.add_argument('--no-md', action='store_true', help=argparse.SUPPRESS)
    p.add_argument('--worker', nargs=3, metavar=('KEY', 'SEED', 'OUT'),
                   help=argparse.SUPPRESS)
    return p.parse_args()


# --------------------------------------------------------------- config
def build_cfg(args, key, seed, work_dir):
    """The ONE place where the ablation configs are adapted to the data."""
    import ast

    from mmengine.config import Config
    cfg = Config.fromfile(config_path(SETTINGS[key]))
    adapt_runtime(cfg, args, seed, work_dir, train_batch=args.batch)
    for t in cfg.train_dataloader.dataset.pipeline:
        if t.type == 'SampleSnippets':
            t.num_snippets = args.t_train
    m = cfg.model
    if m.get('neck') is not None:
        m.neck.temporal_hidden = args.hidden
    m.proposal_stage.rpn_head.hidden = args.hidden
    cfg.optim_wrapper.optimizer.lr = args.lr
    m.log_gt_diagnostics = True
    for opt in args.cfg_options:
        k, v = opt.split('=', 1)
        cfg.merge_from_dict({k: ast.literal_eval(v)})
    return cfg


def worker(args, key, seed, out):
    import torch
    torch.set_num_threads(1)
    from mmengine.runner import Runner

    import mmtrpn  # noqa: F401
    from mmtrpn.utils import register_all_modules
    register_all_modules()
    cfg = build_cfg(args, key, seed, osp.join(args.work_dir, f'{key}_s{seed}'))
    tic = time.time()
    runner = Runner.from_cfg(cfg)
    runner.train()
    train_s = time.time() - tic
    res = dict(key=key, seed=seed, train_s=round(train_s, 1))
    res['diagnostics'] = training_trace(runner.message_hub, args.iters)
    if args.heldout_per_class:
        res['metrics_heldout'] = {k.split('/')[-1]: float(v)
                                  for k, v in runner.val().items()}
    metrics = runner.test()
    res['metrics'] = {k.split('/')[-1]: float(v)  # already %
                      for k, v in metrics.items()}
    model = runner.model
    if getattr(model, 'with_trpn', False):
        # the same trained model with the classifier's foreground curve
        # (diagnostic) and with two-stage inference (cas_source='masked')
        res['metrics_fg_cls'] = score_with(runner.test_loop, model,
                                       fg_source='detector')
        res['metrics_masked'] = score_with(runner.test_loop, model,
                                       cas_source='masked')
        if args.heldout_per_class:
            res['metrics_heldout_masked'] = score_with(
                runner.val_loop, model, cas_source='masked')
            # the classifier's own curve on held-out videos, so the choice
            # of the test-time curve (fg_source) is made there too
            res['metrics_heldout_fg_cls'] = score_with(
                runner.val_loop, model, fg_source='detector')
    res['total_s'] = round(time.time() - tic, 1)
    with open(out, 'w') as f:
        json.dump(res, f)


def training_trace(message_hub, iters, points=5):
    """Each diagnostic averaged over ``points`` equal spans of training."""
    out = {}
    for key in DIAG_KEYS:
        name = f'train/{key}'
        if name not in message_hub.log_scalars:
            continue
        values = np.asarray(message_hub.log_scalars[name].data[0], float)
        spans = np.array_split(values, min(points, len(values)))
        out[key] = [round(float(v.mean()), 4) for v in spans]
    return out


# ----------------------------------------------------------------- main
def main():
    args = parse_args()
    resolve_layout(args)
    os.chdir(ROOT)
    if args.worker:
        key, seed, out = args.worker
        worker(args, key, int(seed), out)
        return
    keys = args.only or list(SETTINGS)
    unknown = sorted(set(keys) - set(SETTINGS))
    if unknown:
        raise SystemExit(f'unknown settings {unknown} (benchmarks/cells.yml, '
                         'section ablation)')
    tic = time.time()
    info = make_data(args)
    jobs = [(k, s, None) for s in args.seeds for k in keys]
    passthrough = [a for a in sys.argv[1:]]
    results = run_jobs('benchmarks.ablation', jobs, passthrough,
                       args.work_dir, args.work_dir, args.jobs)
    wall = time.time() - tic
    results.sort(key=lambda r: (list(SETTINGS).index(r['key']), r['seed']))
    command = '.venv/bin/python -m benchmarks.ablation ' + ' '.join(
        passthrough)
    with open(args.out_json, 'w') as f:
        json.dump(dict(command=command.strip(), wall_s=round(wall, 1),
                       args={k: v for k, v in vars(args).items()
                             if k != 'worker'},
                       data=info['stats'], results=results), f, indent=1)
    for key in keys:
        avg = [r['metrics']['mAP_AVG'] for r in results if r['key'] == key]
        if avg:
            print(f'{key} mean AVG {np.mean(avg):.1f} over {len(avg)} seeds')
    print(f'wall {wall / 60:.1f} min')


if __name__ == '__main__':
    main()
