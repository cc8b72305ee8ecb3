"""Score an ActivityNet-style results file offline.

    python tools/eval_results.py --gt annotations.json --pred results.json \
        --subset test --tiou 0.1:0.7:0.1 [--json] \
        [--drop-ambiguous Ambiguous_test.txt] [--blocked-videos list.txt]

Prints the mAP table in percent (or, with ``--json``, a JSON object with
the metric keys, per-class AP and counts on stdout). Same numbers as
``TemporalMAPMetric``.
"""
import argparse
import json
import os.path as osp
import sys

import numpy as np

try:
    import mmtrpn  # noqa: F401
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmtrpn.evaluation.functional import (  # noqa: E402
    check_tiou_thresholds, format_map_table, summarize_map, temporal_map)
from mmtrpn.structures.annotations import (  # noqa: E402
    ambiguous_arrays, load_ground_truth, load_results_file, read_video_list)
from mmtrpn.utils.cli import add_version_arg  # noqa: E402


def parse_tious(text: str) -> np.ndarray:
    """``start:stop:step`` (stop included) or a comma list, each finite
    with ``0 < t <= 1``."""
    try:
        return check_tiou_thresholds(_tious_of(text))
    except ValueError as e:
        raise argparse.ArgumentTypeError(f'--tiou {text!r}: {e}') from None


def _tious_of(text: str) -> np.ndarray:
    if ':' in text:
        parts = [float(v) for v in text.split(':')]
        if len(parts) != 3 or parts[2] <= 0:
            raise argparse.ArgumentTypeError(
                f'--tiou expects start:stop:step, got {text!r}')
        start, stop, step = parts
        count = int(np.floor((stop - start) / step + 1e-6)) + 1
        return np.round(start + step * np.arange(count), 10)
    try:
        return np.array([float(v) for v in text.split(',') if v.strip()])
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'--tiou expects start:stop:step or a comma list, got {text!r}')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_version_arg(parser)
    parser.add_argument('--gt', required=True, help='ground-truth JSON')
    parser.add_argument('--pred', required=True, help='results JSON')
    parser.add_argument(
        '--subset',
        default=None,
        help='subset of the ground truth to score (case-insensitive); '
        'default: all videos')
    parser.add_argument(
        '--tiou',
        type=parse_tious,
        default=parse_tious('0.1:0.7:0.1'),
        help='thresholds, start:stop:step or a comma list '
        '(default 0.1:0.7:0.1)')
    parser.add_argument(
        '--json', action='store_true', help='print a JSON object instead')
    parser.add_argument(
        '--drop-ambiguous',
        metavar='FILE',
        help='THUMOS Ambiguous_*.txt ("video start end" lines): drop '
        'predictions intersecting these segments')
    parser.add_argument(
        '--blocked-videos',
        metavar='FILE',
        help='videos to leave out: a JSON list or one name per line')
    parser.add_argument(
        '--per-class', action='store_true', help='add per-class rows')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    blocked = read_video_list(args.blocked_videos) \
        if args.blocked_videos else []
    gt = load_ground_truth(args.gt, subset=args.subset)
    pred = load_results_file(
        args.pred, gt['classes'], known_videos=gt['videos'],
        blocked_videos=blocked)
    amb_ids = amb_segs = None
    if args.drop_ambiguous:
        amb_ids, amb_segs = ambiguous_arrays(args.drop_ambiguous)
    ap, mean_ap = temporal_map(
        pred['video_ids'],
        pred['segments'],
        pred['labels'],
        pred['scores'],
        gt['video_ids'],
        gt['segments'],
        gt['labels'],
        len(gt['classes']),
        args.tiou,
        ambiguous_video_ids=amb_ids,
        ambiguous_segments=amb_segs,
        blocked_videos=blocked)
    metrics = summarize_map(args.tiou, mean_ap)
    if args.json:
        out = dict(
            metrics=metrics,
            tiou_thresholds=[float(t) for t in args.tiou],
            per_class_ap={
                c: [None if np.isnan(v) else float(v) * 100.0
                    for v in ap[:, i]]
                for i, c in enumerate(gt['classes'])
            },
            num_videos=len(gt['videos']),
            num_ground_truth=int(gt['labels'].size),
            num_predictions=int(pred['labels'].size))
        print(json.dumps(out, indent=2))
    else:
        print(f'{len(gt["videos"])} videos, {gt["labels"].size} ground-truth '
              f'instances, {pred["labels"].size} predictions; mAP in %')
        print(
            format_map_table(args.tiou, mean_ap, ap if args.per_class else
                             None, gt['classes']))
        for key in metrics:
            if key.startswith('mAP_AVG'):
                print(f'{key}: {metrics[key]:.2f}')
    return 0


if __name__ == '__main__':
    try:
        sys.exit(main())
    except (ValueError, OSError) as err:
        print(f'error: {err}', file=sys.stderr)
        sys.exit(1)
