"""Table 4 (proposal sources x detectors) on the THUMOS-14-layout benchmark.

Trains every cell of Table 4 -- DTRP-Loc, CO2-Net and ASM-Loc, each
without proposals, with T-RPN and T-RPN* proposals and with ground-truth
proposals, and T-RPN* with the foreground-norm deviation chosen for
DTRP-Loc -- plus our plain top-k MIL baseline (Table 3 row 1), each cell a
config named in ``benchmarks/cells.yml`` (section ``table4``), for several
training seeds on the synthetic features over the real THUMOS-14 layouts
of ``ablation.py`` (same generator, same data, same held-out training
videos). Each training is scored once after its end on the held-out
videos and once on the test split; choices may only look at the held-out
scores (this script makes none: every setting is the config's, the only
adaptations are listed in ``adapt_cfg``).

ASM-Loc's Table 4 cells are its final refinement step; per seed, steps
0-2 (``asm_steps`` in ``cells.yml``) are trained once (``asm_prep`` jobs)
and their pseudo segments feed every source.

Writes one JSON per (cell, seed) into ``--out-dir`` and ``table4.json``
(command, wall time, arguments, all results); prints the table.

Example (from the repository root)::

    .venv/bin/python -m benchmarks.table4                   # 5 seeds
    .venv/bin/python -m benchmarks.table4 --seeds 0 --iters 50 \\
        --max-videos 40 --out-dir work_dirs/table4_smoke     # smoke run
"""
import argparse
import json
import os
import os.path as osp
import sys
import time
from collections import OrderedDict

from benchmarks.ablation_report import fmt
from benchmarks.runs import (MAP_KEYS, ROOT, adapt_model_widths,
                             add_data_args, adapt_runtime, config_path,
                             load_cells, make_data, resolve_layout, run_jobs,
                             score_with, set_segment_file)
from mmtrpn.utils.scalars import is_training_record, load_scalars

METHODS = OrderedDict([('dtrploc', 'DTRP-Loc'), ('co2net', 'CO2-Net'),
                       ('asmloc', 'ASM-Loc')])
SOURCES = OrderedDict([('none', 'w/o Proposal'), ('trpn', 'T-RPN'),
                       ('trpn-pl', 'T-RPN*'), ('gt', 'GT Label'),
                       ('trpn-pl_fgnorm', 'T-RPN* + norm (deviation)'),
                       ('trpn_sel', 'T-RPN (selected stage)'),
                       ('trpn-pl_sel', 'T-RPN* (selected stage)')])
# key -> config under configs/ (benchmarks/cells.yml): the table's cells,
# then the options measured beside it (run with --only, listed under it)
CELLS = OrderedDict(load_cells('table4'))
EXTRA_CELLS = OrderedDict(load_cells('table4_extra'))
CELLS.update(EXTRA_CELLS)
ASM_STEPS = load_cells('asm_steps')


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_data_args(p)
    p.add_argument('--work-dir', default='work_dirs/table4')
    p.add_argument('--out-dir', default='work_dirs/table4_results')
    p.add_argument('--iters', type=int, default=600,
                   help='iterations of every cell (ASM-Loc: final step)')
    p.add_argument('--asm-step-iters', type=int, default=None,
                   help='iterations of ASM-Loc steps 0-2 (default iters / '
                   '5, the published 100 : 500 epochs)')
    p.add_argument('--lr', type=float, default=1e-3,
                   help='Adam learning rate of every method')
    p.add_argument('--hidden', type=int, default=64,
                   help='hidden width of DMF, T-RPN and CO2-Net attention')
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2, 3, 4])
    p.add_argument('--only', nargs='+', help='cell keys to run')
    p.add_argument('--jobs', type=int, default=2)
    p.add_argument('--reuse-results', action='store_true',
                   help='continue an interrupted run of the same command: '
                   'cells whose result is already in --out-dir are read '
                   'back, not trained again')
    p.add_argument('--render', metavar='TABLE4_JSON', nargs='+',
                   help='print the held-out and test tables of saved '
                   'table4.json files (their cells merged), run nothing')
    p.add_argument('--attach-train-logs', metavar='TABLE4_JSON',
                   help='add the training diagnostics of --work-dir\'s '
                   'runs to a saved table4.json (runs from before they were '
                   'recorded), run nothing')
    p.add_argument('--worker', nargs=3, metavar=('KEY', 'SEED', 'OUT'),
                   help=argparse.SUPPRESS)
    return p.parse_args()


# --------------------------------------------------------------- config
def adapt_cfg(cfg, args, seed, work_dir, segment_file=None, iters=None):
    """The one place where Table 4 configs meet the synthetic data: data
    root, feature widths and class count (``adapt_runtime``), hidden
    widths, one learning rate, the iteration count, no validation, no
    checkpoints, the seed. Batch size and training length T stay each
    method's own."""
    adapt_runtime(cfg, args, seed, work_dir, iters)
    set_segment_file(cfg, segment_file)
    adapt_model_widths(cfg, args.hidden)
    cfg.optim_wrapper.optimizer.lr = args.lr
    return cfg


def _runner(config, args, seed, work_dir, segment_file=None, iters=None):
    from mmengine.config import Config
    from mmengine.runner import Runner
    cfg = Config.fromfile(config_path(config))
    return Runner.from_cfg(
        adapt_cfg(cfg, args, seed, work_dir, segment_file, iters))


def asm_segment_file(args, seed):
    return osp.join(args.work_dir, f'asm_s{seed}', 'step2',
                    'pseudo_segments.json')


# logged by the detectors and the proposal stage during training
TRAIN_KEYS = ('proposal_ratio', 'proposal_empty', 'fss_trpn_mean',
              'fg_mean', 'loss_mil_proposal', 'classifier_gate')


def train_diagnostics(cell_work_dir):
    """The last logged training values of ``TRAIN_KEYS`` in a cell's work
    dir (the Runner's ``vis_data/scalars.json``); {} if none."""
    try:
        rows = [r for r in load_scalars(cell_work_dir)
                if is_training_record(r)]
    except FileNotFoundError:
        return {}
    if not rows:
        return {}
    last = rows[-1]
    return {k: round(float(last[k]), 4) for k in TRAIN_KEYS if k in last}


def worker(args, key, seed, out):
    import torch
    torch.set_num_threads(1)
    from mmtrpn.utils import register_all_modules
    register_all_modules()
    tic = time.time()
    if key == 'asm_prep':
        segments, steps = None, []
        iters = args.asm_step_iters or max(1, args.iters // 5)
        for step, config in enumerate(ASM_STEPS):
            work = osp.join(args.work_dir, f'asm_s{seed}', f'step{step}')
            runner = _runner(config, args, seed, work, segments, iters)
            runner.train()
            segments = osp.join(work, 'pseudo_segments.json')
            steps.append(dict(config=config, iters=iters,
                              seconds=round(time.time() - tic, 1)))
        res = dict(key=key, seed=seed, steps=steps, segment_file=segments)
    else:
        segments = asm_segment_file(args, seed) if key.startswith(
            'asmloc') else None
        work = osp.join(args.work_dir, f'{key}_s{seed}')
        runner = _runner(CELLS[key], args, seed, work, segments)
        runner.train()
        res = dict(key=key, seed=seed, config=CELLS[key],
                   train_s=round(time.time() - tic, 1),
                   train_last=train_diagnostics(work))
        if args.heldout_per_class:
            res['metrics_heldout'] = {k.split('/')[-1]: float(v)
                                      for k, v in runner.val().items()}
        res['metrics'] = {k.split('/')[-1]: float(v)  # scored once
                          for k, v in runner.test().items()}
        stage = getattr(runner.model, 'proposal_stage', None)
        if getattr(stage, 'with_rpn', False):
            # the same trained model with the detector's own foreground
            # curve: do learned proposals help by training or at test?
            res['metrics_fg_detector'] = score_with(
                runner.test_loop, runner.model, fg_source='detector')
            if args.heldout_per_class:
                res['metrics_heldout_fg_detector'] = score_with(
                    runner.val_loop, runner.model, fg_source='detector')
    res['total_s'] = round(time.time() - tic, 1)
    from mmtrpn.utils import atomic_write_json
    atomic_write_json(out, res, indent=1)


# ----------------------------------------------------------------- jobs
def plan(args):
    """Jobs ``(key, seed, needs)``; ASM-Loc cells need their seed's steps
    0-2, trained unless ``--work-dir`` already holds their segment file
    (then shared with the earlier run; delete it to retrain)."""
    keys = args.only or list(CELLS)
    jobs = []
    for seed in args.seeds:
        prep = None
        if any(k.startswith('asmloc') for k in keys):
            if osp.isfile(asm_segment_file(args, seed)):
                print(f'seed {seed}: reusing ASM-Loc steps 0-2 of '
                      f'{asm_segment_file(args, seed)}')
            else:
                jobs.append(('asm_prep', seed, None))
                prep = ('asm_prep', seed)
        jobs += [(k, seed, prep if k.startswith('asmloc') else None)
                 for k in keys]
    return jobs


def _columns(by_key):
    """The sources of ``SOURCES`` that some method has results for."""
    return [s for s in SOURCES if any(f'{m}_{s}' in by_key for m in METHODS)]


def table(results, field='metrics'):
    """Markdown: one row per method, mean ± std of mAP_AVG per source
    (``field`` 'metrics' for the test split, 'metrics_heldout')."""
    by = {}
    for r in results:
        if field in r:
            by.setdefault(r['key'], []).append(r[field]['mAP_AVG'])
    sources = _columns(by)
    lines = ['| Method | ' + ' | '.join(SOURCES[s] for s in sources) + ' |',
             '|---|' + '---|' * len(sources)]
    for m, name in METHODS.items():
        cells = [fmt(by[f'{m}_{s}']) if f'{m}_{s}' in by else '-'
                 for s in sources]
        lines.append(f'| {name} | ' + ' | '.join(cells) + ' |')
    if 'topk_mil' in by:
        lines.append('| top-k MIL baseline (`t3_01`) | ' +
                     fmt(by['topk_mil']) + ' |' + ' |' * (len(sources) - 1))
    extra = [f'- `{CELLS[k]}`: {fmt(by[k])}' for k in EXTRA_CELLS if k in by]
    if extra:
        lines += ['', 'Options beside the table:', ''] + extra
    return '\n'.join(lines)


def diagnostics_table(results):
    """Markdown: mean over seeds of the last training ``proposal_ratio``
    and ``proposal_empty`` per cell ('-' where not recorded)."""
    by = {}
    for r in results:
        last = r.get('train_last', {})
        if 'proposal_ratio' in last:
            by.setdefault(r['key'], []).append(
                (last['proposal_ratio'], last['proposal_empty']))
    if not by:
        return ''
    sources = _columns(by)
    lines = ['| Method | ' + ' | '.join(SOURCES[s] for s in sources) + ' |',
             '|---|' + '---|' * len(sources)]
    for m, name in METHODS.items():
        cells = []
        for s in sources:
            vals = by.get(f'{m}_{s}')
            cells.append('-' if not vals else '{:.3f} / {:.2f}'.format(
                *(sum(v[i] for v in vals) / len(vals) for i in (0, 1))))
        lines.append(f'| {name} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def main():
    args = parse_args()
    resolve_layout(args)
    os.chdir(ROOT)
    if args.render:
        saved = [json.load(open(f)) for f in args.render]
        results = [r for run in saved for r in run['results']]
        print('from:\n' + '\n'.join(
            f'  {run["command"]}  ({run["wall_s"] / 60:.0f} min)'
            for run in saved) + '\n')
        for field, name in (
                ('metrics_heldout', 'held-out'), ('metrics', 'test'),
                ('metrics_heldout_fg_detector',
                 "held-out, the detector's own curve at test"),
                ('metrics_fg_detector', "test, the detector's own curve")):
            if any(field in r for r in results):
                print(f'{name} AVG mAP 0.1:0.7:\n')
                print(table(results, field) + '\n')
        diag = diagnostics_table(results)
        if diag:
            print('end of training, share of snippets in the training mask '
                  '/ share of videos with an empty mask (mean over seeds):'
                  '\n')
            print(diag + '\n')
        return
    if args.attach_train_logs:
        from mmtrpn.utils import atomic_write_json
        saved = json.load(open(args.attach_train_logs))
        for r in saved['results']:
            r['train_last'] = train_diagnostics(
                osp.join(args.work_dir, f'{r["key"]}_s{r["seed"]}'))
        atomic_write_json(args.attach_train_logs, saved, indent=1)
        return
    if args.worker:
        key, seed, out = args.worker
        worker(args, key, int(seed), out)
        return
    tic = time.time()
    info = make_data(args)
    passthrough = list(sys.argv[1:])
    results = run_jobs('benchmarks.table4', plan(args), passthrough,
                       args.work_dir, args.out_dir, args.jobs,
                       reuse=args.reuse_results)
    wall = time.time() - tic
    order = list(CELLS)
    results.sort(key=lambda r: (order.index(r['key']), r['seed']))
    from mmtrpn.utils import atomic_write_json
    atomic_write_json(
        osp.join(args.out_dir, 'table4.json'),
        dict(command=' '.join(['.venv/bin/python -m benchmarks.table4'] +
                              passthrough),
             wall_s=round(wall, 1),
             args={k: v for k, v in vars(args).items() if k != 'worker'},
             data=info['stats'], map_keys=MAP_KEYS, results=results),
        indent=1)
    print(table(results))
    print(f'wall {wall / 60:.1f} min')


if __name__ == '__main__':
    main()
