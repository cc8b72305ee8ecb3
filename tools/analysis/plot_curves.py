"""Plot training losses and validation mAP from MMEngine's scalar logs.

    python tools/analysis/plot_curves.py WORK_DIR [--out curves.png] \
        [--timestamp 20240101_120000]

Reads ``WORK_DIR/<timestamp>/vis_data/scalars.json`` (one JSON object per
line, written by ``LocalVisBackend``; the latest timestamp folder by
default; WORK_DIR may also be that run folder or the file itself). Training
lines carry ``loss*`` and ``iter``; validation lines carry ``wstal/mAP*``
and ``step``. Draws one panel per loss term and one of the validation mAP
over iterations.

TensorBoard instead (or as well) takes one line in the config, with
``tensorboard`` installed (requirements/optional.txt)::

    visualizer = dict(type='Visualizer', vis_backends=[
        dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')])

then ``tensorboard --logdir WORK_DIR`` (events land in
``<timestamp>/vis_data``). In iteration-based runs also set
``default_hooks = dict(logger=dict(log_metric_by_epoch=False))``: with
MMEngine's default, validation scalars are stamped with the epoch (0), so
TensorBoard draws them all at step 0 (this script works around it).
"""
import argparse
import json
import math
import os
import os.path as osp
import re
import sys
from collections import defaultdict

try:
    import mmtrpn  # noqa: F401
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(
        osp.abspath(__file__)))))

from mmtrpn.utils.fileio import atomic_write_bytes  # noqa: E402

_TIMESTAMP = re.compile(r'^\d{8}_\d{6}$')


def find_scalars(path: str, timestamp: str = None) -> str:
    """The scalars.json to read for a work dir, a run folder or the file."""
    if osp.isfile(path):
        return path
    direct = osp.join(path, 'vis_data', 'scalars.json')
    if timestamp is None and osp.isfile(direct):
        return direct
    if timestamp is not None:
        runs = [timestamp]
    else:
        runs = sorted(
            (d for d in os.listdir(path) if _TIMESTAMP.match(d) and osp.isfile(
                osp.join(path, d, 'vis_data', 'scalars.json'))),
            reverse=True) if osp.isdir(path) else []
    if not runs:
        raise FileNotFoundError(
            f'no <timestamp>/vis_data/scalars.json under {path} (is it a '
            'work dir of tools/train.py with LocalVisBackend?)')
    found = osp.join(path, runs[0], 'vis_data', 'scalars.json')
    if not osp.isfile(found):
        raise FileNotFoundError(f'{found} does not exist')
    return found


def read_scalars(path: str):
    """(losses {key: ([iter], [value])}, val {key: ([step], [value])})."""
    losses = defaultdict(lambda: ([], []))
    val = defaultdict(lambda: ([], []))
    last_iter = None
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                # A run killed mid-write leaves a partial last line.
                print(f'warning: {path}:{n}: skipped a line that is not '
                      'JSON', file=sys.stderr)
                continue
            if 'iter' in rec and any(k.startswith('loss') for k in rec):
                last_iter = rec['iter']
                for k, v in rec.items():
                    if k.startswith('loss') and _finite(v):
                        losses[k][0].append(rec['iter'])
                        losses[k][1].append(float(v))
            elif any('mAP' in k for k in rec):
                step = rec.get('step', rec.get('iter'))
                # LoggerHook's default log_metric_by_epoch=True stamps
                # validation with the epoch (0 in iteration-based runs):
                # use the iteration of the training line before it then.
                if last_iter is not None and (step is None
                                              or step < last_iter):
                    step = last_iter
                for k, v in rec.items():
                    if 'mAP' in k and _finite(v):
                        val[k][0].append(step)
                        val[k][1].append(float(v))
    return dict(losses), dict(val)


def _finite(v) -> bool:
    return isinstance(v, (int, float)) and math.isfinite(v)


def _map_order(key: str):
    # Thresholds in order, then averages.
    m = re.search(r'mAP@([\d.]+)$', key)
    return (0, float(m.group(1)), key) if m else (1, 0.0, key)


def plot_curves(losses: dict, val: dict, out: str, title: str = '') -> None:
    import matplotlib
    matplotlib.use('Agg', force=False)
    import matplotlib.pyplot as plt

    loss_keys = sorted(losses, key=lambda k: (k != 'loss', k))
    panels = len(loss_keys) + 1
    cols = min(3, panels) if panels > 1 else 1
    rows = math.ceil(panels / cols)
    fig, axes = plt.subplots(
        rows, cols, figsize=(4.2 * cols, 2.8 * rows), squeeze=False)
    flat = axes.ravel()
    for ax, key in zip(flat, loss_keys):
        x, y = losses[key]
        ax.plot(x, y, lw=1.2, color='#1f77b4')
        ax.set_title(key, fontsize=9)
        ax.set_xlabel('iteration', fontsize=8)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
    ax = flat[len(loss_keys)]
    if val:
        keys = sorted(val, key=_map_order)
        cmap = plt.get_cmap('viridis')
        thr = [k for k in keys if _map_order(k)[0] == 0]
        for i, key in enumerate(keys):
            x, y = val[key]
            if key in thr:
                ax.plot(x, y, marker='.', lw=1,
                        color=cmap(i / max(1, len(thr) - 1)),
                        label=key.split('/')[-1])
            else:
                bold = key.endswith('mAP_AVG')
                ax.plot(x, y, marker='o' if bold else '.',
                        lw=2.2 if bold else 1, ls='-' if bold else ':',
                        color='black' if bold else None,
                        label=key.split('/')[-1])
        # Outside the panel: the lines span the whole x range.
        ax.legend(fontsize=7, loc='upper left', bbox_to_anchor=(1.02, 1.0),
                  borderaxespad=0.0)
    else:
        ax.text(0.5, 0.5, 'no validation results', ha='center',
                va='center', transform=ax.transAxes, color='gray')
    if losses:
        ax.set_xlim(flat[0].get_xlim())
    ax.set_title('validation mAP (%)', fontsize=9)
    ax.set_xlabel('iteration', fontsize=8)
    ax.tick_params(labelsize=8)
    ax.grid(alpha=0.3)
    for extra in flat[panels:]:
        extra.set_visible(False)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    import io
    buf = io.BytesIO()
    fig.savefig(buf, format='png', dpi=100)
    plt.close(fig)
    atomic_write_bytes(out, buf.getvalue())


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        epilog=__doc__.split('\n', 4)[4],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        'work_dir', help='work dir, run folder or scalars.json file')
    parser.add_argument(
        '--out', help='PNG to write (default: <work_dir>/curves.png)')
    parser.add_argument(
        '--timestamp', help='run folder to read instead of the latest')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        path = find_scalars(args.work_dir, args.timestamp)
    except FileNotFoundError as e:
        raise SystemExit(f'error: {e}')
    losses, val = read_scalars(path)
    if not losses and not val:
        raise SystemExit(f'error: {path} holds no loss or mAP values')
    out = args.out or osp.join(
        args.work_dir if osp.isdir(args.work_dir) else
        osp.dirname(path), 'curves.png')
    plot_curves(losses, val, out, title=path)
    print(f'{len(losses)} loss term(s), {len(val)} validation key(s) from '
          f'{path} -> {out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
