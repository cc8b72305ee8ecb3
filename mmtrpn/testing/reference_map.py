"""Plain loop re-implementation of the ActivityNet detection AP, for checks.

Written from the algorithm of the official
``Evaluation/eval_detection.py::compute_average_precision_detection``:
sort a class's predictions by score (descending), then for each prediction
walk the ground truth of its video in decreasing tIoU, skip the ones already
matched at this threshold, stop at the first below the threshold (false
positive), match the first free one (true positive). AP is the VOC
all-point interpolated area. Deliberately slow and obvious; shares no code
with ``mmtrpn.evaluation``.
"""
import numpy as np


def _tiou_one(seg, cands):
    lo = np.maximum(seg[0], cands[:, 0])
    hi = np.minimum(seg[1], cands[:, 1])
    inter = np.clip(hi - lo, 0, None)
    union = (cands[:, 1] - cands[:, 0]) + (seg[1] - seg[0]) - inter
    return inter / union


def _voc_ap(prec, rec):
    p = [0.0] + list(prec) + [0.0]
    r = [0.0] + list(rec) + [1.0]
    for i in range(len(p) - 2, -1, -1):
        p[i] = max(p[i], p[i + 1])
    area = 0.0
    for i in range(1, len(r)):
        if r[i] != r[i - 1]:
            area += (r[i] - r[i - 1]) * p[i]
    return area


def reference_class_ap(preds, gts, thresholds):
    """AP per threshold for one class.

    Args:
        preds: list of (video, start, end, score).
        gts: list of (video, start, end).
        thresholds: iterable of tIoU thresholds.
    """
    thresholds = list(thresholds)
    ap = np.zeros(len(thresholds))
    if not preds:
        return ap
    by_video = {}
    for j, (video, s, e) in enumerate(gts):
        by_video.setdefault(video, []).append((j, s, e))
    # Stable descending sort: equal scores keep input order.
    ranked = sorted(preds, key=lambda p: -p[3])
    used = np.full((len(thresholds), len(gts)), False)
    tp = np.zeros((len(thresholds), len(ranked)))
    fp = np.zeros((len(thresholds), len(ranked)))
    for i, (video, s, e, _) in enumerate(ranked):
        cands = by_video.get(video)
        if not cands:
            fp[:, i] = 1
            continue
        ids = [c[0] for c in cands]
        tiou = _tiou_one((s, e), np.array([[c[1], c[2]] for c in cands]))
        # Highest tIoU first; equal tIoU: the gt listed first.
        walk = sorted(range(len(cands)), key=lambda k: -tiou[k])
        for t, thr in enumerate(thresholds):
            for k in walk:
                if tiou[k] < thr:
                    break
                if used[t, ids[k]]:
                    continue
                used[t, ids[k]] = True
                tp[t, i] = 1
                break
            if tp[t, i] == 0:
                fp[t, i] = 1
    for t in range(len(thresholds)):
        tpc = np.cumsum(tp[t])
        fpc = np.cumsum(fp[t])
        ap[t] = _voc_ap(tpc / (tpc + fpc), tpc / len(gts))
    return ap


def reference_map(pred_video_ids, pred_segments, pred_labels, pred_scores,
                  gt_video_ids, gt_segments, gt_labels, num_classes,
                  thresholds):
    """(ap (T, C) with NaN where a class has no gt, mAP (T,))."""
    thresholds = list(thresholds)
    ap = np.full((len(thresholds), num_classes), np.nan)
    for c in range(num_classes):
        gts = [(v, float(s[0]), float(s[1]))
               for v, s, lab in zip(gt_video_ids, gt_segments, gt_labels)
               if lab == c]
        if not gts:
            continue
        preds = [(v, float(s[0]), float(s[1]), float(sc))
                 for v, s, lab, sc in zip(pred_video_ids, pred_segments,
                                          pred_labels, pred_scores)
                 if lab == c]
        ap[:, c] = reference_class_ap(preds, gts, thresholds)
    return ap, np.nanmean(ap, axis=1)
