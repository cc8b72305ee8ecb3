"""Plain-loop reference of the W-TAL post-processing.

Written for readability, one threshold, run, class and pair at a time, with
the same conventions as ``WSTALPostProcessor`` (strict ``>`` on the curve,
half-up margins, IoU on ``[s, e)``, first maximum on ties, score threshold
applied after NMS). The tests and the benchmark check the vectorised version
against it.
"""
import math

import numpy as np


def _runs_above(curve, thr):
    runs = []
    t = 0
    while t < len(curve):
        if curve[t] > thr:
            s = t
            while t < len(curve) and curve[t] > thr:
                t += 1
            runs.append((s, t))
        else:
            t += 1
    return runs


def _iou(a, b):
    inter = max(0, min(a[1], b[1]) - max(a[0], b[0]))
    return inter / ((a[1] - a[0]) + (b[1] - b[0]) - inter)


def _nms(boxes, scores, mode, sigma, iou_thr):
    """Returns [(box_index, final_score)] in pick order."""
    remaining = list(range(len(boxes)))
    current = list(scores)
    kept = []
    while remaining:
        best_pos = max(range(len(remaining)),
                       key=lambda j: current[remaining[j]])
        best = remaining.pop(best_pos)
        kept.append((best, current[best]))
        if mode is None:
            continue
        survivors = []
        for j in remaining:
            iou = _iou(boxes[best], boxes[j])
            if mode == 'soft':
                current[j] *= math.exp(-(iou * iou) / sigma)
                survivors.append(j)
            elif not iou > iou_thr:
                survivors.append(j)
        remaining = survivors
    return kept


def reference_postprocess(cas,
                          video_scores,
                          fg_curve,
                          snippet_duration,
                          duration=None,
                          class_threshold=0.2,
                          fg_thresholds=np.linspace(0.1, 0.9, 10),
                          oic_margin=0.25,
                          oic_video_weight=0.2,
                          nms='soft',
                          soft_nms_sigma=0.3,
                          nms_iou=0.5,
                          max_per_video=200,
                          min_length=1,
                          score_threshold=None,
                          deduplicate=True):
    cas = np.asarray(cas, dtype=np.float64)
    video_scores = np.asarray(video_scores, dtype=np.float64)
    fg_curve = np.asarray(fg_curve, dtype=np.float64)
    num_snippets, num_classes = cas.shape

    kept = [c for c in range(num_classes)
            if video_scores[c] >= class_threshold]
    if not kept:
        kept = [int(np.argmax(video_scores))]

    candidates = []
    seen = set()
    for thr in fg_thresholds:
        for run in _runs_above(fg_curve, thr):
            if deduplicate:
                if run in seen:
                    continue
                seen.add(run)
            if run[1] - run[0] < max(1, min_length):
                continue
            if duration is not None and \
                    run[0] * snippet_duration >= duration:
                continue
            candidates.append(run)

    dets = []  # (label, s, e, score) in class order, then pick order
    for c in kept:
        scores = []
        for s, e in candidates:
            inner = float(np.mean(cas[s:e, c]))
            margin = max(1, int(math.floor(oic_margin * (e - s) + 0.5)))
            outer_idx = list(range(max(0, s - margin), s)) + list(
                range(e, min(num_snippets, e + margin)))
            outer = float(np.mean(cas[outer_idx, c])) if outer_idx else 0.0
            scores.append(inner - outer +
                          oic_video_weight * video_scores[c])
        for idx, score in _nms(candidates, scores, nms, soft_nms_sigma,
                               nms_iou):
            if score_threshold is None or score >= score_threshold:
                dets.append((c, ) + candidates[idx] + (score, ))

    dets.sort(key=lambda d: -d[3])  # stable
    if max_per_video is not None:
        dets = dets[:max_per_video]
    segments = np.array([[d[1] * snippet_duration, d[2] * snippet_duration]
                         for d in dets], dtype=np.float64).reshape(-1, 2)
    if duration is not None:
        segments = np.minimum(segments, duration)
    return dict(
        segments=segments,
        labels=np.array([d[0] for d in dets], dtype=np.int64),
        scores=np.array([d[3] for d in dets], dtype=np.float64))
