"""Error diagnosis of a results file (after DETAD, Alwassel et al. 2018).

    python tools/analysis/diagnose.py --gt annotations.json \
        --pred results.json --subset test [--tiou 0.5] [--min-tiou 0.1] \
        [--bins thumos14|activitynet] [--out DIR] [--json]

Prints the false-positive profile of the top predictions (true positive,
double detection, wrong label, localization, wrong label + localization,
background), the mAP gain of removing each error type, and the
false-negative rate and normalized mAP per bin of ground-truth length,
coverage and instances per video. ``--out DIR`` also writes
``diagnosis.json``, the two charts (PNG) and ``report.html`` (the mAP
tables, the diagnosis and a page per video, one self-contained file).
See docs/diagnosis.md.
"""
import argparse
import json
import os
import os.path as osp
import sys

try:
    import mmtrpn  # noqa: F401
except ImportError:  # run from a checkout without installing
    sys.path.insert(
        0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmtrpn.evaluation.diagnosis import (BIN_PRESETS,  # noqa: E402
                                         diagnose_detections,
                                         format_diagnosis)
from mmtrpn.evaluation.functional import ANET_TIOUS, THUMOS_TIOUS  # noqa
from mmtrpn.structures.annotations import (load_ground_truth,  # noqa: E402
                                           load_results_file)
from mmtrpn.utils.fileio import atomic_write_json  # noqa: E402

# The mAP tables of the report use the usual thresholds of each dataset.
REPORT_TIOUS = dict(thumos14=THUMOS_TIOUS, activitynet=ANET_TIOUS)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--gt', required=True, help='ground-truth JSON')
    parser.add_argument('--pred', required=True, help='results JSON')
    parser.add_argument('--subset', default=None,
                        help='subset of the ground truth (default: all)')
    parser.add_argument('--tiou', type=float, default=0.5,
                        help='tIoU of a true positive (default 0.5)')
    parser.add_argument('--min-tiou', type=float, default=0.1,
                        help='below it an overlap is background (0.1)')
    parser.add_argument('--bins', choices=sorted(BIN_PRESETS),
                        default='thumos14',
                        help='bins of length, coverage and instances')
    parser.add_argument('--profile-bins', type=int, default=10,
                        help='K of the top 1G..KG profile (10)')
    parser.add_argument('--out', metavar='DIR',
                        help='write diagnosis.json, charts and report.html')
    parser.add_argument('--json', action='store_true',
                        help='print the JSON summary instead of tables')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    gt = load_ground_truth(args.gt, subset=args.subset)
    pred = load_results_file(args.pred, gt['classes'],
                             known_videos=gt['videos'])
    diag = diagnose_detections(pred, gt, tiou=args.tiou,
                               min_tiou=args.min_tiou,
                               profile_bins=args.profile_bins,
                               bins=args.bins)
    summary = diag.as_dict()
    print(json.dumps(summary, indent=1) if args.json else
          format_diagnosis(diag))
    if args.out:
        from mmtrpn.apis.report import write_report
        from mmtrpn.visualization.diagnosis_plot import \
            save_diagnosis_figures
        os.makedirs(args.out, exist_ok=True)
        atomic_write_json(osp.join(args.out, 'diagnosis.json'), summary,
                          indent=1)
        save_diagnosis_figures(summary, args.out)
        write_report(
            osp.join(args.out, 'report.html'), gt=gt, pred=pred,
            tious=REPORT_TIOUS[args.bins], diag_tiou=args.tiou,
            bins=args.bins, title=f'Diagnosis of {osp.basename(args.pred)}',
            sources=dict(ground_truth=args.gt, results=args.pred))
        print(f'Wrote diagnosis.json, false_positives.png, '
              f'ground_truth_bins.png and report.html to {args.out}',
              file=sys.stderr)
    return 0


if __name__ == '__main__':
    try:
        sys.exit(main())
    except (ValueError, OSError) as err:
        print(f'error: {err}', file=sys.stderr)
        sys.exit(1)
