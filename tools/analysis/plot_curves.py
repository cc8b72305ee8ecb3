"""Plot training losses and validation mAP from MMEngine's scalar logs.

    python tools/analysis/plot_curves.py WORK_DIR [--out curves.png] \
        [--timestamp 20240101_120000]

Reads ``WORK_DIR/<timestamp>/vis_data/scalars.json`` (one JSON object per
line, written by ``LocalVisBackend``) through ``mmtrpn.utils.scalars``:
every training run folder of WORK_DIR, a resumed run's segments joined into
one curve (``--timestamp`` reads one folder only; WORK_DIR may also be a
run folder or the file itself). Training lines carry ``loss*`` and
``iter``; validation lines carry ``wstal/mAP*`` and ``step``. Draws one
panel per loss term and one of the validation mAP over iterations.

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
import math
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
from mmtrpn.utils.scalars import (find_scalars,  # noqa: E402
                                  is_training_record, join_segments,
                                  read_scalars_file)


def curves(records):
    """(losses {key: ([iter], [value])}, val {key: ([step], [value])})."""
    losses = defaultdict(lambda: ([], []))
    val = defaultdict(lambda: ([], []))
    for rec in records:
        if is_training_record(rec):
            for k, v in rec.items():
                if k.startswith('loss') and _finite(v):
                    losses[k][0].append(rec['iter'])
                    losses[k][1].append(float(v))
        elif any('mAP' in k for k in rec):
            for k, v in rec.items():
                if 'mAP' in k and _finite(v):
                    val[k][0].append(rec.get('step'))
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
        '--timestamp', help='read this run folder only (default: every '
        'training run of WORK_DIR, resumed segments joined)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        paths = find_scalars(args.work_dir, args.timestamp)
    except FileNotFoundError as e:
        raise SystemExit(f'error: {e}')
    losses, val = curves(join_segments([read_scalars_file(p)
                                        for p in paths]))
    if not losses and not val:
        raise SystemExit(f'error: {", ".join(paths)} hold(s) no loss or '
                         'mAP values')
    out = args.out or osp.join(
        args.work_dir if osp.isdir(args.work_dir) else
        osp.dirname(paths[0]), 'curves.png')
    plot_curves(losses, val, out, title=args.work_dir)
    print(f'{len(losses)} loss term(s), {len(val)} validation key(s) from '
          f'{len(paths)} run segment(s) of {args.work_dir} -> {out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
