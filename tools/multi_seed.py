"""Train and test one config under several seeds; report mean +- std.

    python tools/multi_seed.py CONFIG --seeds 0 1 2 3 4 [--work-dir DIR] \
        [--gpus N] [--data-root DIR] [--cfg-options KEY=VALUE ...] \
        [--skip-existing]

For each seed S, one after the other: ``tools/train.py CONFIG --seed S
--work-dir DIR/seed_S`` (``tools/dist_train.sh`` when N > 1), then
``tools/test.py`` on its last checkpoint with ``--out-metrics
DIR/seed_S/metrics.json``. Writes the table of mAP at each tIoU and the
averages (per seed, mean +- sample std (ddof=1), median, min, max) to
``DIR/multi_seed.md`` and ``DIR/multi_seed.json``, and prints it.
``--data-root`` and ``--cfg-options`` go to both the training and the test
run.
"""
import argparse
import json
import os
import os.path as osp
import re
import socket
import subprocess
import sys
import time

import numpy as np

try:
    import mmtrpn  # noqa: F401
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmtrpn.utils.cli import add_version_arg  # noqa: E402
from mmtrpn.utils.fileio import atomic_write_json, atomic_write_text  # noqa
from mmtrpn.utils.last_checkpoint import resolve_last_checkpoint  # noqa

TOOLS = osp.dirname(osp.abspath(__file__))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        epilog=__doc__.split('\n', 4)[4],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add_version_arg(parser)
    parser.add_argument('config')
    parser.add_argument(
        '--seeds', type=int, nargs='+', default=[0, 1, 2, 3, 4])
    parser.add_argument(
        '--work-dir',
        help='default: work_dirs/<config name>_multi_seed')
    parser.add_argument(
        '--gpus', type=int, default=1,
        help='processes per run; > 1 uses tools/dist_train.sh and '
        'tools/dist_test.sh')
    parser.add_argument(
        '--data-root', metavar='DIR',
        help='dataset root passed to train.py and test.py')
    parser.add_argument(
        '--cfg-options', nargs='+', default=[],
        help='KEY=VALUE overrides passed to train.py and test.py')
    parser.add_argument(
        '--skip-existing', action='store_true',
        help='reuse DIR/seed_S/metrics.json where it exists (resume an '
        'interrupted sweep)')
    parser.add_argument(
        '--deterministic', action='store_true',
        help='pass --deterministic to train.py')
    return parser.parse_args(argv)


def _free_port() -> str:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return str(s.getsockname()[1])


def run(cmd, log_file):
    """Run ``cmd`` with its output in ``log_file``; fail loudly."""
    print('$ ' + ' '.join(cmd), flush=True)
    # The dist_*.sh scripts call $PYTHON: make it this interpreter. Unless
    # PORT is set, pick a free one so parallel sweeps do not collide.
    env = dict(os.environ, PYTHON=sys.executable)
    if 'PORT' not in os.environ:
        env['PORT'] = _free_port()
    with open(log_file, 'ab') as log:
        proc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT,
                              env=env)
    if proc.returncode != 0:
        with open(log_file, 'rb') as f:
            tail = f.read()[-3000:].decode(errors='replace')
        raise SystemExit(f'error: command failed ({proc.returncode}), see '
                         f'{log_file}:\n{tail}')


def train_and_test(args, seed: int) -> dict:
    seed_dir = osp.join(args.work_dir, f'seed_{seed}')
    metrics_file = osp.join(seed_dir, 'metrics.json')
    if args.skip_existing and osp.isfile(metrics_file):
        print(f'seed {seed}: reusing {metrics_file}', flush=True)
        with open(metrics_file) as f:
            return json.load(f)
    os.makedirs(seed_dir, exist_ok=True)
    log_file = osp.join(seed_dir, 'multi_seed.log')
    py = sys.executable
    options = ['--cfg-options'] + args.cfg_options if args.cfg_options \
        else []
    data_opts = ['--data-root', args.data_root] if args.data_root else []
    train_opts = ['--seed', str(seed), '--work-dir', seed_dir] + data_opts
    if args.deterministic:
        train_opts.append('--deterministic')
    if args.gpus > 1:
        cmd = ['bash', osp.join(TOOLS, 'dist_train.sh'), args.config,
               str(args.gpus)] + train_opts + options
    else:
        cmd = [py, osp.join(TOOLS, 'train.py'), args.config] + train_opts \
            + options
    run(cmd, log_file)
    # by name, relative to the work dir (mmtrpn.utils.last_checkpoint)
    last = osp.join(seed_dir, 'last_checkpoint')
    if not osp.isfile(last):
        raise SystemExit(f'error: training of seed {seed} left no {last}')
    checkpoint = resolve_last_checkpoint(seed_dir)
    test_opts = ['--work-dir', osp.join(seed_dir, 'test'), '--out-metrics',
                 metrics_file] + data_opts
    if args.gpus > 1:
        cmd = ['bash', osp.join(TOOLS, 'dist_test.sh'), args.config,
               checkpoint, str(args.gpus)] + test_opts + options
    else:
        cmd = [py, osp.join(TOOLS, 'test.py'), args.config, checkpoint
               ] + test_opts + options
    run(cmd, log_file)
    with open(metrics_file) as f:
        return json.load(f)


def _key_order(key: str):
    m = re.search(r'mAP@([\d.]+)$', key)
    if m:
        return (0, float(m.group(1)), key)
    return (1 if key.endswith('mAP_AVG') else 2, 0.0, key)


def summarize(per_seed: dict) -> dict:
    """{key: {mean, std, median, min, max, n}} over seeds (std: ddof=1)."""
    keys = sorted({k for m in per_seed.values() for k in m if 'mAP' in k},
                  key=_key_order)
    out = {}
    for key in keys:
        vals = np.array([m[key] for m in per_seed.values() if key in m],
                        dtype=np.float64)
        out[key] = dict(
            mean=float(vals.mean()),
            # None (JSON null) where one seed gives no spread.
            std=float(vals.std(ddof=1)) if len(vals) > 1 else None,
            median=float(np.median(vals)),
            min=float(vals.min()),
            max=float(vals.max()),
            n=int(len(vals)))
    return out


def _short(key: str) -> str:
    name = key.split('/')[-1]
    m = re.search(r'mAP@([\d.]+)$', name)
    return f'{float(m.group(1)):.2f}' if m else name.replace('mAP_', '')


def markdown_table(per_seed: dict, summary: dict) -> str:
    keys = list(summary)
    head = ['seed'] + [_short(k) for k in keys]
    rows = [[str(s)] + [f'{m.get(k, float("nan")):.2f}' for k in keys]
            for s, m in per_seed.items()]

    def stat(name, fn):
        return [name] + [fn(summary[k]) for k in keys]

    rows.append(stat('**mean ± std**', lambda v: '**{:.2f} ± {}**'.format(
        v['mean'], 'n/a' if v['std'] is None else f'{v["std"]:.2f}')))
    rows.append(stat('min', lambda v: f'{v["min"]:.2f}'))
    rows.append(stat('max', lambda v: f'{v["max"]:.2f}'))
    lines = ['| ' + ' | '.join(head) + ' |',
             '|' + '|'.join(['---'] + ['---:'] * len(keys)) + '|']
    lines += ['| ' + ' | '.join(r) + ' |' for r in rows]
    return '\n'.join(lines)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    if args.work_dir is None:
        args.work_dir = osp.join(
            'work_dirs',
            osp.splitext(osp.basename(args.config))[0] + '_multi_seed')
    if len(set(args.seeds)) != len(args.seeds):
        raise SystemExit('error: --seeds has duplicates')
    tic = time.time()
    per_seed = {}
    for seed in args.seeds:
        t0 = time.time()
        per_seed[seed] = train_and_test(args, seed)
        avg = per_seed[seed].get('wstal/mAP_AVG', float('nan'))
        print(f'seed {seed}: mAP_AVG {avg:.2f} ({time.time() - t0:.0f} s)',
              flush=True)
    summary = summarize(per_seed)
    table = markdown_table(per_seed, summary)
    title = (f'# {osp.basename(args.config)}: {len(args.seeds)} seeds\n\n'
             f'mAP (%) at each tIoU; mean ± sample std (ddof=1). Options: '
             f'{" ".join(args.cfg_options) or "none"}.\n\n')
    atomic_write_text(osp.join(args.work_dir, 'multi_seed.md'),
                      title + table + '\n')
    atomic_write_json(
        osp.join(args.work_dir, 'multi_seed.json'),
        dict(command=' '.join(['python', 'tools/multi_seed.py'] + argv),
             wall_s=round(time.time() - tic, 1),
             config=args.config, seeds=args.seeds,
             cfg_options=args.cfg_options,
             per_seed={str(s): m for s, m in per_seed.items()},
             summary=summary), indent=1)
    print('\n' + table)
    print(f'\n{len(args.seeds)} seeds in {time.time() - tic:.0f} s; table in '
          f'{osp.join(args.work_dir, "multi_seed.md")}')
    return 0


if __name__ == '__main__':
    os.environ.setdefault('PYTHONUNBUFFERED', '1')
    sys.exit(main())
