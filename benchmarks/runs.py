"""What the ablation and Table 4 runners share: their cells (read from
``benchmarks/cells.yml``), the generated data with its held-out split, the
adaptation of a config to that data, and the job queue.

The data replays a committed annotation layout (the real THUMOS-14 video
names, durations, segments and classes) over generated features; its
held-out split is :func:`mmtrpn.datasets.splits.heldout_split`'s, the rule
of the configs' committed lists, moved to subset ``'heldout'`` in the
generated annotation file.
"""
import json
import os
import os.path as osp
import subprocess
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
# THUMOS-14's real layout, committed (tools/data/make_layout.py); relative
# to ROOT, the working directory of the runners
LAYOUT = 'benchmarks/data/thumos14_layout.json'
CELLS_FILE = osp.join(ROOT, 'benchmarks', 'cells.yml')
# The real layouts a run can replay (``--dataset``): where it trains and
# tests, and the tIoU thresholds of its evaluators (None: the configs'
# THUMOS-14 ones). The class count comes from the generated annotation
# file. ActivityNet-1.2's actions are long (about 0.64 of each video).
DATASETS = {
    'thumos14': dict(layout=LAYOUT, train_subset='validation',
                     test_subset='test', tious=None),
    'anet12': dict(layout='benchmarks/data/anet12_layout.json',
                   train_subset='training', test_subset='validation',
                   tious=[round(0.5 + 0.05 * i, 2) for i in range(10)]),
}
MAP_KEYS = [f'mAP@0.{i}0' for i in range(1, 8)] + ['mAP_AVG']
HELDOUT_SUBSET = 'heldout'


def load_cells(section):
    """``{key: config path under configs/}`` (or a list) of one section
    of ``benchmarks/cells.yml``, in file order."""
    import yaml
    with open(CELLS_FILE) as f:
        cells = yaml.safe_load(f)
    if section not in cells:
        raise KeyError(f'{CELLS_FILE} has no section {section!r} '
                       f'(sections: {sorted(cells)})')
    return cells[section]


def config_path(config):
    return osp.join(ROOT, 'configs', config)


def dataset_of(args):
    """The :data:`DATASETS` entry ``args.dataset`` names (THUMOS-14 for
    callers without the option)."""
    return DATASETS[getattr(args, 'dataset', None) or 'thumos14']


def resolve_layout(args):
    """``args.layout``: the dataset's committed layout (relative to ROOT)
    when not given, else the given path made absolute from the caller's
    directory; call before changing to ROOT."""
    if args.layout is None:
        args.layout = dataset_of(args)['layout']
    else:
        args.layout = osp.abspath(args.layout)


# ------------------------------------------------------------------ data
def make_data(args):
    """Generate the data once (``args.data_root``) and carve its held-out
    split; returns the annotation file's ``info``."""
    ann = osp.join(args.data_root, 'annotations.json')
    train_subset = dataset_of(args)['train_subset']
    if osp.isfile(ann):
        info = json.load(open(ann))['info']
        check_heldout_rule(ann, info, args.heldout_per_class, train_subset)
        return info
    import ast

    from mmtrpn.datasets.synthetic import SyntheticConfig, generate_synthetic
    overrides = {k: ast.literal_eval(v) for k, v in
                 (o.split('=', 1) for o in args.gen_options)}
    overrides.setdefault('train_subset', train_subset)
    overrides.setdefault('test_subset', dataset_of(args)['test_subset'])
    cfg = SyntheticConfig(seed=args.data_seed, dim=args.dim, **overrides)
    res = generate_synthetic(
        args.data_root, cfg, layout_file=args.layout,
        max_videos=args.max_videos, duration_scale=args.duration_scale)
    print(f'generated data in {res["seconds"]:.0f} s', flush=True)
    if args.heldout_per_class:
        carve_heldout(ann, args.heldout_per_class, train_subset)
    return json.load(open(ann))['info']


def heldout_rule(per_class, train_subset='validation', seed=0):
    return (f'mmtrpn.datasets.splits.heldout_split({train_subset!r}, '
            f'per_class={per_class}, seed={seed})')


def carve_heldout(ann_file, per_class, train_subset='validation', seed=0):
    """Move the held-out split of ``train_subset`` (``per_class`` videos of
    each primary label, :func:`~mmtrpn.datasets.splits.heldout_split`) to
    subset ``'heldout'``; the names and rule go to ``info``."""
    from mmtrpn.datasets.splits import heldout_split
    from mmtrpn.utils.fileio import atomic_write_json
    data = json.load(open(ann_file))
    chosen = heldout_split(data['database'], data['classes'], train_subset,
                           per_class=per_class, seed=seed)
    for name in chosen:
        data['database'][name]['subset'] = HELDOUT_SUBSET
    data['info']['heldout'] = chosen
    data['info']['heldout_rule'] = heldout_rule(per_class, train_subset,
                                                seed)
    atomic_write_json(ann_file, data, indent=1)


def check_heldout_rule(ann_file, info, per_class, train_subset='validation'):
    """Reused data must have been split by the rule asked for."""
    want = heldout_rule(per_class, train_subset) if per_class else None
    have = info.get('heldout_rule') if info.get('heldout') else None
    if have != want:
        raise ValueError(
            f'{ann_file} was generated with held-out split {have!r}, not '
            f'{want!r} as asked (data made before the runners used '
            'mmtrpn.datasets.splits?): delete its folder to regenerate it, '
            'or pass the matching --heldout-per-class.')


def class_names(data_root):
    """The class list of the generated annotation file."""
    with open(osp.join(data_root, 'annotations.json')) as f:
        return json.load(f)['classes']


# --------------------------------------------------------------- config
def adapt_runtime(cfg, args, seed, work_dir, iters=None, train_batch=None):
    """What every benchmark run changes outside the model: the loaders read
    the generated data (its own held-out carve, widths checked, one
    process), ``iters`` iterations without validation or checkpoints, the
    held-out split scored once after training, the seed and the work dir;
    the model gets the data's class count and widths; the loaders read the
    dataset's subsets and the evaluators use its tIoU thresholds.
    ``train_batch`` None keeps the config's training batch size."""
    dims = (args.dim, args.dim)
    dataset = dataset_of(args)
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
        # the generated annotation file is already split (carve_heldout):
        # the configs' name lists are not needed
        loader.dataset.exclude_videos = []
        loader.dataset.include_videos = None
        loader.dataset.subset = dataset[
            'train_subset' if key == 'train_dataloader' else 'test_subset']
    if dataset['tious'] is not None:
        for key in ('val_evaluator', 'test_evaluator'):
            cfg[key].tiou_thresholds = dataset['tious']
    cfg.model.num_classes = len(class_names(args.data_root))
    cfg.model.feature_dims = dims
    cfg.train_cfg = dict(type='IterBasedTrainLoop',
                         max_iters=iters or args.iters, val_interval=10**9)
    if args.heldout_per_class:
        # scored once after training (runner.val()); choices use this only
        cfg.val_dataloader.dataset.subset = HELDOUT_SUBSET
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


def adapt_model_widths(cfg, hidden):
    """The hidden widths of Table 4's models set to ``hidden``: DMF's
    temporal conv, CO2-Net's attention and the T-RPN head (the stage's
    default head written out where a config leaves it implicit)."""
    m = cfg.model
    neck = m.get('neck')
    if neck is not None and neck.type == 'DMFNeck':
        neck.temporal_hidden = hidden
    if neck is not None and neck.type == 'CO2Neck':
        neck.attention_hidden = hidden
    stage = m.get('proposal_stage')
    if stage is not None and stage.get('source') in ('trpn', 'trpn_pl'):
        stage.setdefault('rpn_head', dict(type='TRPNHead'))
        stage.rpn_head.hidden = hidden
    return cfg


def set_segment_file(cfg, segment_file):
    """Every loader's ``LoadPseudoSegments`` reads ``segment_file``
    (ASM-Loc's pseudo segments of the previous step; None: none); a loader
    already dropped (no held-out split) is skipped."""
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(key) is None:
            continue
        for t in cfg[key].dataset.pipeline:
            if t.type == 'LoadPseudoSegments':
                t.segment_file = segment_file
    return cfg


# ----------------------------------------------------------------- jobs
def score_with(loop, model, **test_cfg):
    """mAP of ``loop`` (a val or test loop) with ``model.test_cfg``
    temporarily updated, e.g. ``fg_source='detector'`` to score the same
    trained model with the detector's own foreground curve."""
    saved = dict(model.test_cfg)
    model.test_cfg.update(test_cfg)
    try:
        return {k.split('/')[-1]: float(v) for k, v in loop.run().items()}
    finally:
        model.test_cfg.clear()
        model.test_cfg.update(saved)


def run_jobs(module, jobs_in, passthrough, work_dir, out_dir, num_jobs,
             reuse=False):
    """Run ``python -m module --worker KEY SEED OUT`` for each
    ``(key, seed, after)`` job, ``num_jobs`` at a time, one torch thread
    each; a job waits for the ``(key, seed)`` in ``after`` (None: for
    nothing) and is skipped if that failed. With ``reuse``, a job whose
    result file is already in ``out_dir`` (an interrupted run of the same
    command) is not run again: its result is read back. Returns the
    results of the finished workers."""
    env = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    os.makedirs(work_dir, exist_ok=True)
    os.makedirs(out_dir, exist_ok=True)
    running, done, failed, results = [], set(), set(), []
    jobs = []
    for job in jobs_in:
        out = osp.join(out_dir, f'{job[0]}_s{job[1]}.json')
        if not (reuse and osp.isfile(out)):
            jobs.append(job)
            continue
        done.add(job[:2])
        r = json.load(open(out))
        if 'metrics' in r:
            results.append(r)
        print(f'{job[0]} s{job[1]}: reusing {out}', flush=True)
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
            cmd = [sys.executable, '-m', module] + passthrough + [
                '--worker', key, str(seed), out]
            running.append((key, seed, out, subprocess.Popen(
                cmd, env=env, cwd=ROOT, stdout=log,
                stderr=subprocess.STDOUT)))
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


def add_data_args(p, heldout_help=''):
    """The data options both runners take (the same data for both)."""
    p.add_argument('--data-root', default='work_dirs/ablation_data')
    p.add_argument('--dataset', default='thumos14', choices=list(DATASETS),
                   help='real layout to replay: its splits, its classes '
                   '(from the layout) and its tIoU thresholds')
    p.add_argument('--layout', default=None,
                   help='annotation layout to replay (default: the '
                   'dataset\'s committed layout)')
    p.add_argument('--dim', type=int, default=32, help='width per modality')
    p.add_argument('--duration-scale', type=float, default=1.0)
    p.add_argument('--max-videos', type=int, default=None)
    p.add_argument('--data-seed', type=int, default=0)
    p.add_argument('--heldout-per-class', type=int, default=2,
                   help='training videos of each class moved to a held-out '
                   'split (mmtrpn.datasets.splits, as the configs\' '
                   'committed lists); scored after training, the only '
                   'place for choices; 0 = none' + heldout_help)
    p.add_argument('--gen-options', nargs='+', default=[],
                   help='SyntheticConfig overrides key=value (Python '
                   'literal) for another data regime, e.g. context=False')
