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
    ambiguous_arrays, load_annotations, load_ground_truth, load_results_file,
    read_video_list)
from mmtrpn.structures.results_file import (  # noqa: E402
    results_video_names)
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


def video_codes(names, index: dict) -> np.ndarray:
    """int64 codes of video names; a name outside ``index`` gets a new code
    (added to ``index``), which matches no prediction."""
    return np.array([index.setdefault(n, len(index)) for n in names],
                    np.int64)


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


def likely_subset(gt_path: str, videos) -> tuple:
    """``(subset, shared, size)``: the subset of the ground truth holding
    most of ``videos``, how many of them and its own size."""
    import warnings
    with warnings.catch_warnings():  # the clipping was warned already
        warnings.simplefilter('ignore')
        every = load_annotations(gt_path, infer_classes=True,
                                 clip_segments=True).videos
    by_subset = {}
    for name, video in every.items():
        by_subset.setdefault(video.subset.lower(), set()).add(name)
    best = max(by_subset, key=lambda s: (len(by_subset[s] & videos),
                                         -len(by_subset[s])))
    return best, len(by_subset[best] & videos), len(by_subset[best])


def warn_unpredicted_videos(args, gt_videos, blocked,
                            video_codes_read) -> None:
    """Warn (stderr) when ground-truth videos have no entry in the results:
    each of their instances counts as missed, which scored 2.47 instead of
    5.32 for results of the test subset scored without ``--subset``.

    ``video_codes_read`` (N,) int64: the codes of the predictions read; when
    they cover every video the file is not read a second time (otherwise
    its video keys are, skipping the detections)."""
    blocked = set(blocked)
    seen = np.zeros(len(gt_videos), bool)
    seen[video_codes_read[video_codes_read < len(gt_videos)]] = True
    if all(seen[i] or v in blocked for i, v in enumerate(gt_videos)):
        return
    predicted = set(results_video_names(args.pred))
    missing = [v for v in gt_videos if v not in predicted
               and v not in blocked]
    if not missing:
        return
    scope = f'of subset {args.subset!r} ' if args.subset else ''
    text = (f'warning: {len(missing)} of {len(gt_videos)} ground-truth '
            f'videos {scope}have no entry in {args.pred} (e.g. '
            f'{missing[:3]}); all their instances count as missed.')
    subset, shared, size = likely_subset(args.gt, predicted)
    if shared and (args.subset or '').lower() != subset:
        text += (f' The results look like subset {subset!r} ({shared} of '
                 f'its {size} videos): pass --subset {subset}.')
    print(text, file=sys.stderr)


def main(argv=None) -> int:
    args = parse_args(argv)
    blocked = read_video_list(args.blocked_videos) \
        if args.blocked_videos else []
    gt = load_ground_truth(args.gt, subset=args.subset)
    # videos as int codes: 8 bytes a prediction, and no string compares
    index = {v: i for i, v in enumerate(gt['videos'])}
    pred = load_results_file(
        args.pred, gt['classes'], known_videos=gt['videos'],
        blocked_videos=blocked, video_index=index)
    warn_unpredicted_videos(args, gt['videos'], blocked, pred['video_ids'])
    amb_ids = amb_segs = None
    if args.drop_ambiguous:
        amb_ids, amb_segs = ambiguous_arrays(args.drop_ambiguous)
        amb_ids = video_codes(amb_ids, index)
    ap, mean_ap = temporal_map(
        pred['video_ids'],
        pred['segments'],
        pred['labels'],
        pred['scores'],
        video_codes(gt['video_ids'], index),
        gt['segments'],
        gt['labels'],
        len(gt['classes']),
        args.tiou,
        ambiguous_video_ids=amb_ids,
        ambiguous_segments=amb_segs,
        blocked_videos=video_codes(blocked, index))
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
