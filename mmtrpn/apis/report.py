"""The HTML report of a test run: score, diagnose, draw, render.

Above ``evaluation`` (the mAP and the error diagnosis) and
``visualization`` (the figures and the page), so it lives here. Written by
``tools/test.py --report`` (:class:`WSTALReportHook`) and by
``tools/analysis/make_report.py`` / ``diagnose.py --out`` from a results
file (and the curves file the hook writes beside the report).
"""
from typing import Dict, Optional, Sequence

import numpy as np

from mmtrpn.evaluation.diagnosis import OUTCOMES, diagnose_detections
from mmtrpn.evaluation.functional import temporal_map
from mmtrpn.utils.fileio import atomic_write_text
from mmtrpn.visualization.det_plot import plot_detection
from mmtrpn.visualization.diagnosis_plot import figure_png
from mmtrpn.visualization.report import png_uri, render_report

# Detections listed per video page (best first); the figure shows fewer.
DETECTIONS_LISTED = 30
NOT_SCORED = 'not scored (class without ground truth)'


def _group(video_ids, videos) -> Dict[str, np.ndarray]:
    """{video: input indices} for ``video_ids`` (N,)."""
    order = np.argsort(video_ids, kind='stable')
    names, starts = np.unique(np.asarray(video_ids)[order],
                              return_index=True)
    parts = np.split(order, starts[1:]) if order.size else []
    found = dict(zip(names.tolist(), parts))
    return {v: found.get(v, np.zeros(0, np.int64)) for v in videos}


def _figure(video, curves, gt, gi, pred, pi, duration) -> str:
    sample = dict(curves.get(video, {}) if curves else {},
                  video_name=video, gt_segments=gt['segments'][gi],
                  gt_labels=gt['labels'][gi],
                  pred_segments=pred['segments'][pi],
                  pred_labels=pred['labels'][pi],
                  pred_scores=pred['scores'][pi])
    sample.setdefault('duration', duration)
    fig = plot_detection(sample, gt['classes'])
    return png_uri(figure_png(fig, dpi=80, tight=False))


def video_entries(gt: dict, pred: dict, diag, curves=None,
                  max_videos: Optional[int] = None) -> list:
    """Per video of ``gt``: counts, ground truth (found or missed) and its
    best detections with their outcome, and a figure for the first
    ``max_videos`` (all when None)."""
    classes = gt['classes']
    outcome = np.full(pred['labels'].size, -1, dtype=np.int64)
    outcome[diag.order] = diag.outcome
    gt_of = _group(gt['video_ids'], gt['videos'])
    pred_of = _group(pred['video_ids'], gt['videos'])
    entries = []
    for k, (video, duration) in enumerate(zip(gt['videos'],
                                              gt['durations'])):
        gi, pi = gt_of[video], pred_of[video]
        pi = pi[np.argsort(-pred['scores'][pi], kind='stable')]
        out = outcome[pi]
        entry = dict(
            name=video, duration=round(float(duration), 2),
            n_gt=int(gi.size), n_det=int(pi.size),
            tp=int((out == 0).sum()), fp=int((out > 0).sum()),
            fn=int((~diag.gt_matched[gi]).sum()),
            gt=[[classes[gt['labels'][g]],
                 *np.round(gt['segments'][g], 2).tolist(),
                 bool(diag.gt_matched[g])] for g in gi],
            det=[[classes[pred['labels'][p]],
                  *np.round(pred['segments'][p], 2).tolist(),
                  round(float(pred['scores'][p]), 4),
                  OUTCOMES[o] if o >= 0 else NOT_SCORED]
                 for p, o in zip(pi[:DETECTIONS_LISTED], out)])
        if max_videos is None or k < max_videos:
            entry['figure'] = _figure(video, curves, gt, gi, pred, pi,
                                      float(duration))
        entries.append(entry)
    return entries


def build_report(gt: dict, pred: dict, tious: Sequence[float],
                 curves: Optional[Dict[str, dict]] = None,
                 run_metrics: Optional[dict] = None,
                 diag_tiou: float = 0.5, bins: str = 'thumos14',
                 max_videos: Optional[int] = None,
                 title: str = 'Test report',
                 sources: Optional[Dict[str, str]] = None) -> str:
    """The report as one HTML string.

    Args:
        gt (dict): ``load_ground_truth``'s dict (with ``durations``).
        pred (dict): ``load_results_file``'s dict.
        tious: thresholds of the mAP tables.
        curves (dict, optional): ``{video: curves}`` (``load_curves``);
            without them a video figure has no curves.
        run_metrics (dict, optional): the metrics the run logged (e.g.
            ``wstal/mAP@0.10``, percent), shown beside the recomputed mAP.
        diag_tiou (float): the threshold of the diagnosis.
        bins (str): characteristic bins (``BIN_PRESETS`` key).
        max_videos (int, optional): figures for the first videos only.
        sources (dict, optional): ``{what: file}`` named in the header.
    """
    tious = np.asarray(tious, np.float64)
    ap, mean_ap = temporal_map(pred['video_ids'], pred['segments'],
                               pred['labels'], pred['scores'],
                               gt['video_ids'], gt['segments'], gt['labels'],
                               len(gt['classes']), tious)
    diag = diagnose_detections(pred, gt, tiou=diag_tiou, bins=bins)
    return render_report(
        title=title, tious=tious, mean_ap=mean_ap, ap=ap,
        classes=gt['classes'], diagnosis=diag.as_dict(),
        videos=video_entries(gt, pred, diag, curves, max_videos),
        counts=dict(videos=len(gt['videos']),
                    ground_truth=int(gt['labels'].size),
                    detections=int(pred['labels'].size)),
        run_metrics=run_metrics, sources=sources)


def write_report(path: str, **kwargs) -> None:
    """:func:`build_report` written to ``path`` atomically."""
    atomic_write_text(path, build_report(**kwargs))
