"""Tables 3 and 4 of the paper on synthetic features over real THUMOS-14 layouts.

Generates features (once) that replay the THUMOS-14 annotation layout
(train = the 200 validation videos less ``--heldout`` class-balanced ones
moved to a held-out split, test = the 212 test videos: real durations,
segment positions, lengths and classes; ``--gen-options`` switch the
generator's difficulties for another data regime), then trains every
requested setting of ``configs/ablations`` for several seeds, two trainings
at a time, one torch thread each. Each run scores the held-out split (the
only number choices may use) and the test split once after training, both
inference readings, and records training diagnostics against ground truth.
Writes the per-seed results as JSON; ``benchmarks/ablation_report.py``
renders the tables, and ``benchmarks/run_ablation.sh`` has every command
behind ``docs/benchmarks_ablation.md``.

Example::

    .venv/bin/python benchmarks/ablation.py --only t3_01 t3_10 --seeds 0
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import time
from collections import OrderedDict

import numpy as np

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
# THUMOS-14's real layout, committed (tools/data/make_layout.py); relative
# to ROOT, the working directory of main()
LAYOUT = 'benchmarks/data/thumos14_layout.json'
# The layouts a run can replay: where it trains and tests, its classes and
# tIoU thresholds (None: the configs' THUMOS-14 ones). ActivityNet-1.2's
# actions are long (about 0.64 of each video against 0.3).
DATASETS = {
    'thumos14': dict(layout=LAYOUT, train_subset='validation',
                     test_subset='test', num_classes=20, tious=None),
    'anet12': dict(layout='benchmarks/data/anet12_layout.json',
                   train_subset='training', test_subset='validation',
                   num_classes=100,
                   tious=[round(0.5 + 0.05 * i, 2) for i in range(10)]),
}
MAP_KEYS = [f'mAP@0.{i}0' for i in range(1, 8)] + ['mAP_AVG']

# Distinct settings. Table 4 'w/o Proposal', 'T-RPN' and 'T-RPN*' have the
# same switches as Table 3 rows 2, 6 and 10 (DMF and ACoL on), so they are
# run once and reported in both tables.
# key: (config, DMF, T-RPN, ACoL, PLG, proposal source)
SETTINGS = OrderedDict([
    ('t3_01', ('t3_01_base.py', 0, 0, 0, 0, 'none')),
    ('t3_02', ('t3_02_dmf.py', 1, 0, 0, 0, 'none')),
    ('t3_03', ('t3_03_trpn.py', 0, 1, 0, 0, 'trpn')),
    ('t3_04', ('t3_04_dmf-trpn.py', 1, 1, 0, 0, 'trpn')),
    ('t3_05', ('t3_05_trpn-acol.py', 0, 1, 1, 0, 'trpn')),
    ('t3_06', ('t3_06_dmf-trpn-acol.py', 1, 1, 1, 0, 'trpn')),
    ('t3_07', ('t3_07_trpn-plg.py', 0, 1, 0, 1, 'trpn_pl')),
    ('t3_08', ('t3_08_dmf-trpn-plg.py', 1, 1, 0, 1, 'trpn_pl')),
    ('t3_09', ('t3_09_trpn-acol-plg.py', 0, 1, 1, 1, 'trpn_pl')),
    ('t3_10', ('t3_10_dmf-trpn-acol-plg.py', 1, 1, 1, 1, 'trpn_pl')),
    # the deviation kept (docs/method.md): PLG rows with the norm term
    ('t3_07n', ('t3_07_trpn-plg_fgnorm.py', 0, 1, 0, 1, 'trpn_pl')),
    ('t3_08n', ('t3_08_dmf-trpn-plg_fgnorm.py', 1, 1, 0, 1, 'trpn_pl')),
    ('t3_09n', ('t3_09_trpn-acol-plg_fgnorm.py', 0, 1, 1, 1, 'trpn_pl')),
    ('t3_10n', ('t3_10_dmf-trpn-acol-plg_fgnorm.py', 1, 1, 1, 1, 'trpn_pl')),
    ('t3_10b', ('t3_10_dmf-trpn-acol-plg_biased.py', 1, 1, 1, 1, 'trpn_pl')),
    ('t4_gt', ('t4_dtrploc_gt.py', 1, 0, 1, 0, 'gt')),
    ('t4_gt_train', ('t4_dtrploc_gt-train.py', 1, 0, 1, 0, 'gt_train')),
])
# Options of a setting measured beside it (docs/method.md, "What the masked
# branch teaches"): key -> (setting, model overrides).
_DECOUPLED = {'model.proposal_stage.classifier_grad': 'none'}
VARIANTS = OrderedDict([
    ('t3_10d', ('t3_10', _DECOUPLED)),
    ('t3_10nd', ('t3_10n', _DECOUPLED)),
    ('t3_10r', ('t3_10', {'model.proposal_stage.classifier_grad': 'ramp'})),
    ('t3_10c', ('t3_10', {
        'model.proposal_stage.classifier_grad': 'coverage'})),
    ('t3_10nc', ('t3_10n', {
        'model.proposal_stage.classifier_grad': 'coverage'})),
    ('t3_10ncl', ('t3_10n', {
        'model.proposal_stage.classifier_grad': 'coverage',
        'model.proposal_stage.classifier_grad_coverage': (0.45, 0.65)})),
    ('t3_10s', ('t3_10', {'model.proposal_stage.classifier_grad': 'scaled',
                          'model.proposal_stage.classifier_grad_scale': 0.3})),
    ('t3_10e', ('t3_10', {
        'model.proposal_stage.loss_pseudo_label.form': 'eq10'})),
    ('t3_10m', ('t3_10', {
        'model.proposal_stage.loss_mutual.alpha': (0.9, 0.0)})),
])
TABLE4 = [('w/o Proposal', 't4_dtrploc_none.py', 't3_02'),
          ('T-RPN', 't4_dtrploc_trpn.py', 't3_06'),
          ('T-RPN* (full)', 't4_dtrploc_trpn-pl.py', 't3_10'),
          ('T-RPN* + norm (deviation)', 't4_dtrploc_trpn-pl_fgnorm.py',
           't3_10n'),
          ('GT Label (oracle, train + test)', 't4_dtrploc_gt.py', 't4_gt'),
          ('GT at training only', 't4_dtrploc_gt-train.py', 't4_gt_train')]
# logged (never summed) training diagnostics kept per run, see
# DTRPLoc.log_gt_diagnostics
DIAG_KEYS = ('proposal_ratio', 'proposal_empty', 'fss_trpn_mean', 'gt_ratio',
             'prop_precision', 'prop_recall', 'fss_in_gt', 'fss_out_gt',
             'bg_in_gt', 'bg_out_gt', 'pl_in_gt', 'pl_out_gt',
             'classifier_gate')


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--data-root', default='work_dirs/ablation_data')
    p.add_argument('--dataset', default='thumos14', choices=list(DATASETS),
                   help='real layout to replay: its splits, classes and '
                   'tIoU thresholds')
    p.add_argument('--layout', default=None,
                   help='annotation layout to replay (default: the '
                   'dataset\'s committed layout)')
    p.add_argument('--work-dir', default='work_dirs/ablation')
    p.add_argument('--dim', type=int, default=32, help='width per modality')
    p.add_argument('--duration-scale', type=float, default=1.0)
    p.add_argument('--max-videos', type=int, default=None)
    p.add_argument('--data-seed', type=int, default=0)
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
    p.add_argument('--heldout', type=int, default=40,
                   help='training videos moved to a held-out split '
                   '(class-balanced, fixed); 0 = none')
    p.add_argument('--gen-options', nargs='+', default=[],
                   help='SyntheticConfig overrides key=value (Python '
                   'literal) for another data regime, e.g. context=False')
    p.add_argument('--out-json', default='work_dirs/ablation.json')
    # kept so the recorded commands still parse; reports are rendered by
    # benchmarks/ablation_report.py
    p.add_argument('--no-md', action='store_true', help=argparse.SUPPRESS)
    p.add_argument('--worker', nargs=3, metavar=('KEY', 'SEED', 'OUT'),
                   help=argparse.SUPPRESS)
    return p.parse_args()


# ------------------------------------------------------------------ data
def make_data(args):
    ann = osp.join(args.data_root, 'annotations.json')
    if osp.isfile(ann):
        return json.load(open(ann))['info']
    import ast

    from mmtrpn.datasets.synthetic import SyntheticConfig, generate_synthetic
    overrides = {k: ast.literal_eval(v) for k, v in
                 (o.split('=', 1) for o in args.gen_options)}
    dataset = DATASETS[getattr(args, 'dataset', 'thumos14')]
    overrides.setdefault('train_subset', dataset['train_subset'])
    overrides.setdefault('test_subset', dataset['test_subset'])
    cfg = SyntheticConfig(seed=args.data_seed, dim=args.dim, **overrides)
    res = generate_synthetic(
        args.data_root, cfg, layout_file=args.layout,
        max_videos=args.max_videos, duration_scale=args.duration_scale)
    print(f'generated data in {res["seconds"]:.0f} s', flush=True)
    if args.heldout:
        carve_heldout(ann, args.heldout, dataset['train_subset'])
    return json.load(open(ann))['info']


def carve_heldout(ann_file, count, train_subset='validation', seed=0):
    """Move ``count`` training videos to subset ``'heldout'``.

    Class-balanced by each video's first label (round robin over classes,
    a fixed random order within each), so the choice is reproducible and
    every class is seen in both parts.
    """
    from mmtrpn.utils.fileio import atomic_write_json
    data = json.load(open(ann_file))
    by_class = {}
    for name in sorted(data['database']):
        v = data['database'][name]
        labels = v.get('labels') or [a['label'] for a in v['annotations']]
        if v['subset'] == train_subset and labels:
            by_class.setdefault(sorted(labels)[0], []).append(name)
    rng = np.random.default_rng(seed)
    queues = [list(rng.permutation(by_class[c])) for c in sorted(by_class)]
    chosen = []
    while len(chosen) < count and any(queues):
        for q in queues:
            if q and len(chosen) < count:
                chosen.append(q.pop(0))
    for name in chosen:
        data['database'][name]['subset'] = 'heldout'
    data['info']['heldout'] = sorted(chosen)
    atomic_write_json(ann_file, data, indent=1)


# --------------------------------------------------------------- config
def adapt_runtime(cfg, args, seed, work_dir, iters=None, train_batch=None):
    """What every benchmark run changes outside the model: the loaders read
    the generated data (its own held-out carve, widths checked, one
    process), ``iters`` iterations without validation or checkpoints, the
    held-out split scored once after training, the seed and the work dir.
    ``train_batch`` None keeps the config's training batch size."""
    dims = (args.dim, args.dim)
    dataset = DATASETS[getattr(args, 'dataset', 'thumos14')]
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg[key]
        loader.num_workers = 0
        loader.persistent_workers = False
        if key != 'train_dataloader':
            loader.batch_size = 16
        elif train_batch is not None:
            loader.batch_size = train_batch
        loader.dataset.data_root = osp.abspath(args.data_root)
        loader.dataset.ambiguous_file = None
        loader.dataset.feature_dims = dims  # the loader checks every file
        # the benchmark's own split (carve_heldout) replaces the configs'
        # THUMOS-14 list: the replayed layout keeps the real names, but the
        # subsets are already split in the generated annotation file
        loader.dataset.exclude_videos = []
        loader.dataset.include_videos = None
        loader.dataset.subset = dataset[
            'train_subset' if key == 'train_dataloader' else 'test_subset']
    if dataset['tious'] is not None:
        for key in ('val_evaluator', 'test_evaluator'):
            cfg[key].tiou_thresholds = dataset['tious']
    cfg.train_cfg = dict(type='IterBasedTrainLoop',
                         max_iters=iters or args.iters, val_interval=10**9)
    if args.heldout:
        # scored once after training (runner.val()); choices use this only
        cfg.val_dataloader.dataset.subset = 'heldout'
        cfg.val_dataloader.dataset.test_mode = True
    else:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', by_epoch=False, interval=10**9,
        save_last=False)
    cfg.default_hooks.logger.interval = 100
    cfg.randomness = dict(seed=seed, diff_rank_seed=False,
                          deterministic=False)
    cfg.work_dir = work_dir
    cfg.launcher = 'none'
    return cfg


def build_cfg(args, key, seed, work_dir):
    """The ONE place where the ablation configs are adapted to the data."""
    import ast

    from mmengine.config import Config
    setting, overrides = VARIANTS.get(key, (key, {}))
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs', 'ablations', SETTINGS[setting][0]))
    adapt_runtime(cfg, args, seed, work_dir, train_batch=args.batch)
    for t in cfg.train_dataloader.dataset.pipeline:
        if t.type == 'SampleSnippets':
            t.num_snippets = args.t_train
    m = cfg.model
    m.num_classes = DATASETS[args.dataset]['num_classes']
    m.feature_dims = (args.dim, args.dim)
    if m.get('neck') is not None:
        m.neck.temporal_hidden = args.hidden
    m.proposal_stage.rpn_head.hidden = args.hidden
    cfg.optim_wrapper.optimizer.lr = args.lr
    m.log_gt_diagnostics = True
    cfg.merge_from_dict(overrides)
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
    if args.heldout:
        res['metrics_heldout'] = {k.split('/')[-1]: float(v)
                                  for k, v in runner.val().items()}
    metrics = runner.test()
    res['metrics'] = {k.split('/')[-1]: float(v)  # already %
                      for k, v in metrics.items()}
    model = runner.model
    if getattr(model, 'with_trpn', False):
        # the same trained model with the classifier's foreground curve
        # (diagnostic) and with two-stage inference (cas_source='masked')
        res['metrics_fg_cls'] = _score(runner.test_loop, model,
                                       fg_source='cls')
        res['metrics_masked'] = _score(runner.test_loop, model,
                                       cas_source='masked')
        if args.heldout:
            res['metrics_heldout_masked'] = _score(
                runner.val_loop, model, cas_source='masked')
            # the classifier's own curve on held-out videos, so the choice
            # of the test-time curve (fg_source) is made there too
            res['metrics_heldout_fg_cls'] = _score(
                runner.val_loop, model, fg_source='cls')
    res['total_s'] = round(time.time() - tic, 1)
    with open(out, 'w') as f:
        json.dump(res, f)


def _score(loop, model, **test_cfg):
    """mAP of ``loop`` with ``model.test_cfg`` temporarily updated."""
    saved = dict(model.test_cfg)
    model.test_cfg.update(test_cfg)
    try:
        return {k.split('/')[-1]: float(v) for k, v in loop.run().items()}
    finally:
        model.test_cfg.clear()
        model.test_cfg.update(saved)


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
def run_jobs(script, jobs, passthrough, work_dir, out_dir, num_jobs):
    """Run ``script --worker KEY SEED OUT`` for each ``(key, seed, after)``
    job, ``num_jobs`` at a time, one torch thread each; a job waits for the
    ``(key, seed)`` in ``after`` (None: for nothing) and is skipped if that
    failed. Returns the results of the finished workers."""
    env = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    os.makedirs(work_dir, exist_ok=True)
    os.makedirs(out_dir, exist_ok=True)
    jobs = list(jobs)
    running, done, failed, results = [], set(), set(), []
    while jobs or running:
        ready = [j for j in jobs if j[2] is None or j[2] in done]
        for job in [j for j in jobs if j[2] in failed]:
            jobs.remove(job)
            failed.add(job[:2])
            print(f'{job[0]} seed {job[1]} SKIPPED ({job[2][0]} failed)')
        while ready and len(running) < num_jobs:
            job = ready.pop(0)
            jobs.remove(job)
            key, seed, _ = job
            out = osp.join(out_dir, f'{key}_s{seed}.json')
            log = open(osp.join(work_dir, f'{key}_s{seed}.log'), 'w')
            cmd = [sys.executable, osp.abspath(script)] + passthrough + [
                '--worker', key, str(seed), out]
            running.append((key, seed, out, subprocess.Popen(
                cmd, env=env, stdout=log, stderr=subprocess.STDOUT)))
        time.sleep(1)
        for item in list(running):
            key, seed, out, proc = item
            if proc.poll() is None:
                continue
            running.remove(item)
            if proc.returncode != 0 or not osp.isfile(out):
                failed.add((key, seed))
                print(f'{key} seed {seed} FAILED (see '
                      f'{work_dir}/{key}_s{seed}.log)', flush=True)
                continue
            done.add((key, seed))
            r = json.load(open(out))
            if 'metrics' in r:
                results.append(r)
                print(f'{key} s{seed}: AVG {r["metrics"]["mAP_AVG"]:.1f} '
                      f'({r["total_s"]:.0f} s)', flush=True)
    return results


def main():
    args = parse_args()
    if args.layout is None:
        args.layout = DATASETS[args.dataset]['layout']
    else:  # given from the caller's directory
        args.layout = osp.abspath(args.layout)
    os.chdir(ROOT)
    if args.worker:
        key, seed, out = args.worker
        worker(args, key, int(seed), out)
        return
    tic = time.time()
    info = make_data(args)
    keys = args.only or list(SETTINGS)
    unknown = set(keys) - set(SETTINGS) - set(VARIANTS)
    if unknown:
        raise SystemExit(f'unknown settings {sorted(unknown)}')
    jobs = [(k, s, None) for s in args.seeds for k in keys]
    passthrough = [a for a in sys.argv[1:]]
    results = run_jobs(__file__, jobs, passthrough, args.work_dir,
                       args.work_dir, args.jobs)
    wall = time.time() - tic
    order = list(SETTINGS) + list(VARIANTS)
    results.sort(key=lambda r: (order.index(r['key']), r['seed']))
    command = '.venv/bin/python benchmarks/ablation.py ' + ' '.join(
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
