"""Time ``temporal_map`` against a plain per-prediction loop.

    python benchmarks/bench_metric.py [--num-preds 50000] [--seed 0] \
        [--out-json docs/results/bench_metric.json]

Predictions replay the real THUMOS-14 test ground truth (the committed
layout ``benchmarks/data/thumos14_layout.json``, or ``--gt``): jittered copies of real segments (shifted and rescaled, with the
right or a wrong class) plus false positives at random places. Both
implementations run in the same process; the results must agree to 1e-6.
"""
import argparse
import json
import os.path as osp
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
try:
    import mmtrpn  # noqa: F401
except ImportError:
    sys.path.insert(0, str(HERE.parent))

from mmtrpn.evaluation.functional import temporal_map  # noqa: E402
from mmtrpn.structures.annotations import load_ground_truth  # noqa: E402
from mmtrpn.testing import reference_map  # noqa: E402

DEFAULT_GT = HERE / 'data' / 'thumos14_layout.json'


def make_predictions(gt, num_preds, rng, durations):
    """Realistic detections from real ground truth: 60% jittered copies (20%
    of them with a wrong class), 40% false positives in random videos."""
    n_gt = gt['labels'].size
    num_classes = len(gt['classes'])
    n_copy = int(num_preds * 0.6)
    src = rng.integers(0, n_gt, n_copy)
    seg = gt['segments'][src]
    length = seg[:, 1] - seg[:, 0]
    center = (seg[:, 0] + seg[:, 1]) / 2 + rng.normal(0, 0.3, n_copy) * length
    length = length * np.exp(rng.normal(0, 0.4, n_copy))
    copy_seg = np.stack([center - length / 2, center + length / 2], 1)
    copy_lab = gt['labels'][src].copy()
    wrong = rng.random(n_copy) < 0.2
    copy_lab[wrong] = rng.integers(0, num_classes, wrong.sum())
    copy_vid = gt['video_ids'][src]

    n_fp = num_preds - n_copy
    videos = np.asarray(gt['videos'])
    fp_vid = videos[rng.integers(0, videos.size, n_fp)]
    dur = np.array([durations[v] for v in fp_vid])
    fp_len = np.minimum(np.exp(rng.normal(1.2, 0.8, n_fp)), dur)
    fp_start = rng.random(n_fp) * (dur - fp_len)
    fp_seg = np.stack([fp_start, fp_start + fp_len], 1)
    fp_lab = rng.integers(0, num_classes, n_fp)

    vids = np.concatenate([copy_vid, fp_vid])
    segs = np.clip(np.concatenate([copy_seg, fp_seg]), 0, None)
    labs = np.concatenate([copy_lab, fp_lab])
    # Distinct random scores: results are then tie-free.
    scores = rng.permutation(num_preds) / num_preds + rng.random(
        num_preds) * 1e-7
    return vids, segs, labs, scores


def best_of(fn, repeats):
    best, out = float('inf'), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--gt', default=str(DEFAULT_GT))
    parser.add_argument('--num-preds', type=int, default=50000)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument(
        '--reference-repeats',
        type=int,
        default=1,
        help='runs of the slow loop reference (best of)')
    parser.add_argument('--out-json', help='also write the results here')
    args = parser.parse_args()
    if not osp.exists(args.gt):
        print(f'THUMOS-14 ground truth not found at {args.gt}; pass --gt '
              'with an ActivityNet-style json (see docs). Nothing measured.')
        return 1

    with open(args.gt) as f:
        database = json.load(f)['database']
    gt = load_ground_truth(args.gt, subset='test')
    durations = {v: float(database[v]['duration']) for v in gt['videos']}
    rng = np.random.default_rng(args.seed)
    vids, segs, labs, scores = make_predictions(gt, args.num_preds, rng,
                                                durations)
    tious = np.linspace(0.1, 0.7, 7)
    num_classes = len(gt['classes'])
    call = (vids, segs, labs, scores, gt['video_ids'], gt['segments'],
            gt['labels'], num_classes, tious)

    print(f'{len(gt["videos"])} test videos, {gt["labels"].size} gt, '
          f'{num_classes} classes, {labs.size} predictions, '
          f'{tious.size} thresholds')
    t_fast, (ap, mean_ap) = best_of(lambda: temporal_map(*call),
                                    args.repeats)
    t_ref, (ref_ap, ref_map) = best_of(lambda: reference_map(*call),
                                       args.reference_repeats)
    diff = max(np.nanmax(np.abs(ap - ref_ap)), np.abs(mean_ap -
                                                      ref_map).max())
    same_nan = np.array_equal(np.isnan(ap), np.isnan(ref_ap))
    print('mAP (%):', ' '.join(f'{t:.1f}:{m * 100:.2f}'
                               for t, m in zip(tious, mean_ap)))
    print(f'temporal_map   (best of {args.repeats}): {t_fast:.4f} s')
    print(f'loop reference (best of {args.reference_repeats}): '
          f'{t_ref:.4f} s')
    print(f'speed-up: {t_ref / t_fast:.0f}x; max |diff| = {diff:.2e}')
    if diff > 1e-6 or not same_nan:
        print('MISMATCH between temporal_map and the reference')
        return 2
    print('agree to 1e-6: OK')
    if args.out_json:
        from mmtrpn.utils.fileio import atomic_write_json
        atomic_write_json(args.out_json, dict(
            command=' '.join(['python', 'benchmarks/bench_metric.py'] +
                             sys.argv[1:]),
            gt=osp.basename(args.gt), videos=len(gt['videos']),
            gt_instances=int(gt['labels'].size), classes=num_classes,
            predictions=int(labs.size), tious=tious.round(2).tolist(),
            mAP=(mean_ap * 100).tolist(), max_abs_diff=float(diff),
            temporal_map_s=t_fast, repeats=args.repeats,
            reference_s=t_ref, reference_repeats=args.reference_repeats,
            speedup=t_ref / t_fast), indent=1)
    return 0


if __name__ == '__main__':
    sys.exit(main())
