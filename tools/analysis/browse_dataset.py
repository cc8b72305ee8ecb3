"""Draw training samples as the model receives them, after the pipeline.

    python tools/analysis/browse_dataset.py CONFIG --out DIR [--split train]
        [--index 0 3 ...] [--num 4] [--seed 0] [--data-root DIR]
        [--cfg-options KEY=VALUE ...]

One figure per sample, ``DIR/<video>.png``: the RGB and the flow feature
rows the pipeline kept (snippets sampled for training), each column placed
at the time of its snippet, the ground-truth segments per class on the
same time axis, and in the title the video-level labels, the duration and
the snippet counts before and after sampling.
"""
import argparse
import os
import os.path as osp
import sys

import numpy as np

try:
    import mmtrpn  # noqa: F401
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(
        osp.abspath(__file__)))))

from mmtrpn.utils.cli import add_version_arg  # noqa: E402


def parse_args(argv=None):
    sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
    from print_config import parse_args as config_args

    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_version_arg(parser)
    parser.add_argument('--out', required=True, help='folder for figures')
    parser.add_argument('--split', default='train',
                        choices=['train', 'val', 'test'])
    parser.add_argument('--index', type=int, nargs='+',
                        help='dataset indices (default: the first --num)')
    parser.add_argument('--num', type=int, default=4)
    parser.add_argument('--seed', type=int, default=0,
                        help='seeds the pipeline\'s random sampling')
    args, rest = parser.parse_known_args(argv)
    args.config_args = config_args(rest)
    return args


def sample_view(packed, classes):
    """Arrays of one pipeline output for drawing (times in seconds)."""
    inputs = packed['inputs'].numpy()
    sample = packed['data_samples']
    d_rgb = int(sample.metainfo['feature_dims'][0])
    snippet = float(sample.metainfo['snippet_duration'])
    rows = sample.get('snippet_indices', None)
    rows = np.arange(len(inputs)) if rows is None else np.asarray(rows)
    label = np.asarray(sample.gt_label).reshape(-1)
    return dict(
        name=sample.metainfo['video_name'],
        rgb=inputs[:, :d_rgb], flow=inputs[:, d_rgb:],
        centres=(rows + 0.5) * snippet,
        duration=float(sample.metainfo['duration']),
        num_snippets=int(sample.metainfo['num_snippets']),
        labels=[classes[i] for i in np.flatnonzero(label > 0)],
        gt_segments=np.asarray(sample.gt_segments).reshape(-1, 2),
        gt_labels=np.asarray(sample.gt_labels).reshape(-1).astype(int),
        classes=classes)


def _edges(centres, duration):
    """Column edges halfway between snippet centres, clipped to the video."""
    mids = (centres[1:] + centres[:-1]) / 2
    return np.concatenate([[0.0], mids, [max(duration, centres[-1])]])


def draw(view, path):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    gt_classes = sorted(set(view['gt_labels'].tolist()))
    fig, grid = plt.subplots(
        3, 2, figsize=(10, 6), sharex='col',
        gridspec_kw=dict(height_ratios=[3, 3, 1 + 0.4 * len(gt_classes)],
                         width_ratios=[50, 1]))
    axes = grid[:, 0]  # a colour-bar column keeps the three rows aligned
    grid[2, 1].axis('off')
    edges = _edges(view['centres'], view['duration'])
    for ax, bar, key in zip(axes[:2], grid[:2, 1], ('rgb', 'flow')):
        feats = view[key]
        mesh = ax.pcolormesh(edges, np.arange(feats.shape[1] + 1), feats.T,
                             cmap='viridis', shading='flat')
        ax.set_ylabel(f'{key} dim', fontsize=8)
        fig.colorbar(mesh, cax=bar)
    ax = axes[2]
    names = [f'GT {view["classes"][c]}' for c in gt_classes] or ['GT (none)']
    ax.set_ylim(len(names), 0)
    ax.set_yticks(np.arange(len(names)) + 0.5)
    ax.set_yticklabels(names, fontsize=8)
    for (s, e), c in zip(view['gt_segments'], view['gt_labels']):
        ax.broken_barh([(s, max(e - s, 1e-3))],
                       (gt_classes.index(c) + 0.15, 0.7), facecolors='C2')
    ax.plot(view['centres'], np.full(len(view['centres']), len(names)),
            '|', color='k', ms=6, clip_on=False)
    ax.set_xlim(0, max(view['duration'], edges[-1]))
    ax.set_xlabel('seconds (ticks: the sampled snippets)', fontsize=8)
    fig.suptitle(
        f'{view["name"]}: labels {", ".join(view["labels"]) or "none"}; '
        f'{view["duration"]:.1f} s, {len(view["centres"])} rows sampled '
        f'from {view["num_snippets"]} snippets', fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None):
    args = parse_args(argv)
    from mmengine.runner import set_random_seed

    from mmtrpn.registry import DATASETS
    from mmtrpn.utils import register_all_modules
    sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
    from print_config import resolved_config

    cfg = resolved_config(args.config_args)
    # The pipeline's transforms are built in the mmtrpn scope.
    register_all_modules(init_default_scope=True)
    loader = cfg.get(f'{args.split}_dataloader', None)
    if not loader:
        raise SystemExit(f'error: the config has no {args.split}_dataloader')
    dataset = DATASETS.build(loader.dataset)
    classes = list(dataset.metainfo['classes'])
    indices = args.index or list(range(min(args.num, len(dataset))))
    bad = [i for i in indices if not 0 <= i < len(dataset)]
    if bad:
        raise SystemExit(f'error: indices {bad} outside the {len(dataset)} '
                         f'{args.split} videos')
    set_random_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    for i in indices:
        view = sample_view(dataset[i], classes)
        path = osp.join(args.out, f'{view["name"]}.png')
        draw(view, path)
        print(f'{i}: {path}')


if __name__ == '__main__':
    main()
