"""HTML report of a test run from its dump.

    python tools/test.py CONFIG CKPT --dump results.json --report report.html
    python tools/analysis/make_report.py --gt annotations.json \
        --pred results.json --subset test [--curves report_curves.npz] \
        [--tiou 0.1:0.7:0.1] [--diag-tiou 0.5] [--max-videos N] \
        --out report.html

One self-contained HTML file (open it in any browser, no server): the mAP
table, per-class AP, the error diagnosis and a page per video with its
curves (from ``--curves``, the file ``tools/test.py --report`` writes
beside the report), ground truth and detections. See docs/diagnosis.md.
"""
import argparse
import importlib.util
import os.path as osp
import sys

try:
    import mmtrpn  # noqa: F401
except ImportError:  # run from a checkout without installing
    sys.path.insert(
        0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmtrpn.evaluation.diagnosis import BIN_PRESETS  # noqa: E402
from mmtrpn.structures.annotations import (load_ground_truth,  # noqa: E402
                                           load_results_file)
from mmtrpn.apis.report import write_report  # noqa: E402
from mmtrpn.visualization import load_curves  # noqa: E402


def _eval_results_tool():
    """tools/eval_results.py, for its --tiou parser."""
    path = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))),
                    'eval_results.py')
    spec = importlib.util.spec_from_file_location('eval_results', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def parse_args(argv=None):
    parse_tious = _eval_results_tool().parse_tious
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--gt', required=True, help='ground-truth JSON')
    parser.add_argument('--pred', required=True, help='results JSON')
    parser.add_argument('--subset', default=None,
                        help='subset of the ground truth (default: all)')
    parser.add_argument('--curves', help='curves file of the run (.npz)')
    parser.add_argument('--tiou', type=parse_tious,
                        default=parse_tious('0.1:0.7:0.1'),
                        help='thresholds of the mAP tables, start:stop:step '
                        'or a comma list (default 0.1:0.7:0.1)')
    parser.add_argument('--diag-tiou', type=float, default=0.5,
                        help='tIoU of the diagnosis (default 0.5)')
    parser.add_argument('--bins', choices=sorted(BIN_PRESETS),
                        default='thumos14')
    parser.add_argument('--max-videos', type=int,
                        help='figures for the first N videos only')
    parser.add_argument('--title', default=None)
    parser.add_argument('--out', required=True, help='the HTML file')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    gt = load_ground_truth(args.gt, subset=args.subset)
    pred = load_results_file(args.pred, gt['classes'],
                             known_videos=gt['videos'])
    curves = load_curves(args.curves) if args.curves else None
    sources = dict(ground_truth=args.gt, results=args.pred)
    if args.curves:
        sources['curves'] = args.curves
    write_report(args.out, gt=gt, pred=pred, tious=args.tiou, curves=curves,
                 diag_tiou=args.diag_tiou, bins=args.bins,
                 max_videos=args.max_videos,
                 title=args.title or f'Report of {osp.basename(args.pred)}',
                 sources=sources)
    print(f'Report written to {args.out}')
    return 0


if __name__ == '__main__':
    try:
        sys.exit(main())
    except (ValueError, OSError) as err:
        print(f'error: {err}', file=sys.stderr)
        sys.exit(1)
