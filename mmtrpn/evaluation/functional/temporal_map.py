"""Temporal action detection mAP (ActivityNet protocol), vectorised numpy.

Protocol (as the official ActivityNet ``Evaluation/eval_detection.py``):

* per class, the predictions of all videos are ranked by score, descending;
* for every tIoU threshold independently, each prediction in rank order is
  matched to the not-yet-matched ground truth of its video and class with
  the highest tIoU, provided that tIoU is ``>=`` the threshold; otherwise it
  is a false positive (so duplicate detections are false positives);
* AP is the VOC all-point interpolated AP of the precision/recall curve with
  recall denominator the number of ground-truth instances of the class;
* mAP is the mean over the classes that have ground truth. The official
  code builds its class index from the ground truth it loaded, so a class
  without ground truth is left out of the mean: here its AP is NaN. A class
  with ground truth but no prediction has AP 0 and counts in the mean.

Deterministic tie rules (the official code uses ``argsort()[::-1]``, whose
order among equal keys is unspecified):

* predictions with equal scores keep their input order (stable sort);
* among ground truths with equal tIoU to a prediction, the one given first
  in the input wins.

With tie-free scores the results agree with the official code.

Differences on degenerate input: a zero-length union (a zero-length
prediction on a zero-length ground truth) has tIoU 0 here, not NaN.
"""
import warnings
from typing import Dict, Iterable, Optional, Sequence, Tuple

import numpy as np

from mmtrpn.structures.segments import pair_tiou

THUMOS_TIOUS = np.linspace(0.1, 0.7, 7)
ANET_TIOUS = np.linspace(0.5, 0.95, 10)


def interpolated_ap(precision: np.ndarray, recall: np.ndarray) -> np.ndarray:
    """VOC all-point interpolated AP (ActivityNet ``interpolated_prec_rec``).

    Precision is padded with 0 at both ends and recall with 0 and 1, the
    precision is made monotone by a running max from the end, and the area
    is summed over the recall steps.

    Args:
        precision (np.ndarray): (..., n) precision at each rank.
        recall (np.ndarray): (..., n) recall at each rank, non-decreasing.

    Returns:
        np.ndarray | float: AP per leading index (a float for 1-D input).
    """
    precision = np.asarray(precision, dtype=np.float64)
    recall = np.asarray(recall, dtype=np.float64)
    lead = precision.shape[:-1]
    zeros = np.zeros(lead + (1, ))
    mprec = np.concatenate([zeros, precision, zeros], axis=-1)
    mrec = np.concatenate([zeros, recall, zeros + 1.0], axis=-1)
    mprec = np.flip(np.maximum.accumulate(np.flip(mprec, -1), axis=-1), -1)
    step = mrec[..., 1:] - mrec[..., :-1]
    ap = np.where(step != 0, step * mprec[..., 1:], 0.0).sum(axis=-1)
    return float(ap) if ap.ndim == 0 else ap


def check_tiou_thresholds(tiou_thresholds, allow_zero=False) -> np.ndarray:
    """``tiou_thresholds`` as a 1-D float64 array, each finite and in
    (0, 1]: a threshold of 0 counts predictions that do not overlap at all,
    one above 1 matches nothing, NaN matches nothing; each would give a
    wrong mAP without a word. ``allow_zero`` admits 0, which only
    :func:`temporal_map` itself takes (to compare with reference code)."""
    try:
        tious = np.atleast_1d(np.asarray(tiou_thresholds, dtype=np.float64))
    except (TypeError, ValueError):
        tious = np.zeros((0, ))
    if tious.ndim != 1 or tious.size == 0:
        raise ValueError(f'tiou_thresholds must be a non-empty 1-D list of '
                         f'numbers, got {tiou_thresholds!r}')
    low_ok = (tious >= 0) if allow_zero else (tious > 0)
    bad = tious[~(np.isfinite(tious) & low_ok & (tious <= 1))]
    if bad.size:
        rule = '0 <= t <= 1' if allow_zero else '0 < t <= 1'
        raise ValueError(f'tiou_thresholds must be finite with {rule}, '
                         f'got {bad.tolist()} in {tious.tolist()}')
    return tious


def _encode_videos(pred_ids, *small_id_arrays):
    """Map video ids (str or int) to int codes shared by all arrays.

    Codes come from the videos of the small arrays (gt, ambiguous, blocked);
    a prediction of any other video gets -1, which matches nothing. A dict
    lookup beats sorting the (many) prediction ids as strings.
    """
    pred_ids = np.asarray(pred_ids).reshape(-1)
    small = [np.asarray(a).reshape(-1) for a in small_id_arrays]
    # Empty arrays carry no type information; ints stay ints when possible.
    as_int = all(a.dtype.kind in 'iu' for a in [pred_ids] + small if a.size)
    small = [a.astype(np.int64) if as_int else a.astype(str) for a in small]
    uniq = np.unique(np.concatenate(small))
    codes = [np.searchsorted(uniq, a).astype(np.int64) for a in small]
    if as_int:  # ints: no Python loop over predictions
        return [_find(uniq, pred_ids.astype(np.int64))] + codes
    index = {v: i for i, v in enumerate(uniq.tolist())}
    keys = pred_ids.astype(str).tolist()
    pred_codes = np.fromiter((index.get(k, -1) for k in keys),
                             dtype=np.int64, count=len(keys))
    return [pred_codes] + codes


def _find(sorted_keys, queries):
    """(Q,) int64 position of each query in ``sorted_keys`` (sorted,
    distinct int64), -1 where absent. Keys spanning a range no wider than
    about 4x the queries are looked up in a dense table: one gather, ten
    times faster than a binary search per query at a million queries."""
    if sorted_keys.size == 0:
        return np.full(queries.size, -1, np.int64)
    low, span = int(sorted_keys[0]), int(sorted_keys[-1] - sorted_keys[0])
    if span > 4 * queries.size + 4096:
        pos = np.minimum(np.searchsorted(sorted_keys, queries),
                         sorted_keys.size - 1)
        return np.where(sorted_keys[pos] == queries, pos, -1)
    # slots 0 and span + 2 stand for every query below and above the keys
    table = np.full(span + 3, -1, np.int64)
    table[sorted_keys - (low - 1)] = np.arange(sorted_keys.size)
    slot = np.subtract(queries, low - 1, dtype=np.int64)
    return table[np.clip(slot, 0, span + 2, out=slot)]


def _expand_ranges(lo, hi):
    """Pairs (i, j) for every j in [lo[i], hi[i])."""
    count = np.maximum(hi - lo, 0)
    qi = np.repeat(np.arange(lo.size), count)
    starts = np.cumsum(count) - count
    kj = np.arange(int(count.sum())) - np.repeat(starts - lo, count)
    return qi, kj


def _expand_groups(query_keys, sorted_keys):
    """Pairs (query i, position j in sorted_keys) with equal keys."""
    return _expand_ranges(
        np.searchsorted(sorted_keys, query_keys, side='left'),
        np.searchsorted(sorted_keys, query_keys, side='right'))


def _count_below(item_keys, item_vals, query_keys, query_vals):
    """Per query, the number of items with (key, val) < (query key, val)
    lexicographically: a ``searchsorted(side='left')`` on pairs, exact
    (no float packing of the key)."""
    packed = _count_below_packed(item_keys, item_vals, query_keys,
                                 query_vals)
    if packed is not None:
        return packed
    n_item = item_keys.size
    keys = np.concatenate([item_keys, query_keys])
    vals = np.concatenate([item_vals, query_vals])
    # On equal (key, val) the query sorts first, so the item is not counted.
    is_item = np.concatenate(
        [np.ones(n_item, np.int8),
         np.zeros(query_keys.size, np.int8)])
    order = np.lexsort((is_item, vals, keys))
    item_sorted = is_item[order]
    before = np.cumsum(item_sorted) - item_sorted
    out = np.empty(query_keys.size, dtype=np.int64)
    is_q = item_sorted == 0
    out[order[is_q] - n_item] = before[is_q]
    return out


def _count_below_packed(item_keys, item_vals, query_keys, query_vals):
    """``_count_below`` for items sorted by (key, val), without sorting the
    queries: a value is replaced by its rank among the items' distinct
    values (``val_i < v`` iff ``rank_i < #{item values < v}``, exact), and
    (key, rank) packed into one int64. None when keys are negative or the
    packing could overflow."""
    if item_keys.size == 0:
        return np.zeros(query_keys.size, np.int64)
    if item_keys.min() < 0 or np.any(np.diff(item_keys) < 0):
        return None
    values = np.unique(item_vals)
    span = values.size + 1
    if (int(max(item_keys.max(), query_keys.max(initial=-1))) + 1) * \
            span >= 2**62:
        return None
    item = item_keys * span + np.searchsorted(values, item_vals)
    if np.any(np.diff(item) < 0):
        return None  # not sorted by (key, val)
    query = np.where(query_keys < 0, -1,
                     query_keys * span +
                     np.searchsorted(values, query_vals, side='left'))
    return np.searchsorted(item, query, side='left')


def overlaps_ambiguous(pred_video_codes, pred_segments, amb_video_codes,
                       amb_segments) -> np.ndarray:
    """Mask of predictions that intersect (> 0) an ambiguous segment of
    their own video (the CO2-Net/DELU THUMOS protocol)."""
    n = pred_video_codes.size
    if n == 0 or amb_video_codes.size == 0:
        return np.zeros(n, dtype=bool)
    order = np.argsort(amb_video_codes, kind='stable')
    amb_v = amb_video_codes[order]
    amb_s = amb_segments[order]
    pi, aj = _expand_groups(pred_video_codes, amb_v)
    inter = (np.minimum(pred_segments[pi, 1], amb_s[aj, 1]) -
             np.maximum(pred_segments[pi, 0], amb_s[aj, 0]))
    return np.bincount(pi[inter > 0], minlength=n) > 0


def _greedy_match(pk, gk, num_pred_keys, num_gt_keys):
    """Exact greedy matching for many independent lanes at once.

    ``pk``/``gk`` list candidate pairs (prediction key, gt key) sorted by
    prediction rank and, within a prediction, by decreasing preference.
    Returns an int64 array: the gt key each prediction key matched (a true
    positive), -1 where none.

    Each round resolves every pending prediction ``p`` whose best still
    unmatched candidate ``g`` has ``p`` as its earliest pending claimant:
    no earlier prediction can take ``g`` and ``p``'s better candidates are
    already taken, so ``p`` takes ``g``. The earliest pending prediction
    always qualifies, so each round makes progress; a handful of rounds
    suffices in practice.
    """
    match = np.full(num_pred_keys, -1, dtype=np.int64)
    taken = np.zeros(num_gt_keys, dtype=bool)
    first = np.full(num_gt_keys, np.iinfo(np.int64).max, dtype=np.int64)
    while pk.size:
        head = np.ones(pk.size, dtype=bool)
        head[1:] = pk[1:] != pk[:-1]
        np.minimum.at(first, gk, pk)
        win = head & (first[gk] == pk)
        match[pk[win]] = gk[win]
        taken[gk[win]] = True
        first[gk] = np.iinfo(np.int64).max
        keep = ~((match[pk] >= 0) | taken[gk])
        pk, gk = pk[keep], gk[keep]
    return match


def temporal_map(pred_video_ids: Sequence,
                 pred_segments: np.ndarray,
                 pred_labels: np.ndarray,
                 pred_scores: np.ndarray,
                 gt_video_ids: Sequence,
                 gt_segments: np.ndarray,
                 gt_labels: np.ndarray,
                 num_classes: int,
                 tiou_thresholds=THUMOS_TIOUS,
                 ambiguous_video_ids: Optional[Sequence] = None,
                 ambiguous_segments: Optional[np.ndarray] = None,
                 blocked_videos: Iterable = ()
                 ) -> Tuple[np.ndarray, np.ndarray]:
    """Per-class AP and mAP at each tIoU threshold (fractions in [0, 1]).

    Args:
        pred_video_ids (Sequence): (N,) video id (str or int) per prediction.
        pred_segments (np.ndarray): (N, 2) [start, end] seconds.
        pred_labels (np.ndarray): (N,) class index in [0, num_classes).
        pred_scores (np.ndarray): (N,) confidence, higher is better.
        gt_video_ids (Sequence): (M,) video id per ground-truth instance.
        gt_segments (np.ndarray): (M, 2) [start, end] seconds.
        gt_labels (np.ndarray): (M,) class index.
        num_classes (int): number of classes C.
        tiou_thresholds: thresholds, e.g. ``np.linspace(0.1, 0.7, 7)``.
        ambiguous_video_ids, ambiguous_segments: optional (A,) and (A, 2);
            predictions intersecting an ambiguous segment of their video are
            dropped before scoring (CO2-Net/DELU THUMOS variant).
        blocked_videos (Iterable): videos whose predictions and ground truth
            are dropped.

    Returns:
        tuple: ``ap`` (T, C) with NaN for classes without ground truth, and
        ``mAP`` (T,), the mean over classes with ground truth.
    """
    match = _candidate_matches(
        pred_video_ids, pred_segments, pred_labels, pred_scores,
        gt_video_ids, gt_segments, gt_labels, num_classes, tiou_thresholds,
        ambiguous_video_ids, ambiguous_segments, blocked_videos)
    tp = np.zeros((match['matched'].shape[0], match['labels'].size), bool)
    tp[:, match['candidates']] = match['matched'] >= 0
    return average_precisions(tp, match['labels'], match['npos'])


def match_detections(pred_video_ids: Sequence,
                     pred_segments: np.ndarray,
                     pred_labels: np.ndarray,
                     pred_scores: np.ndarray,
                     gt_video_ids: Sequence,
                     gt_segments: np.ndarray,
                     gt_labels: np.ndarray,
                     num_classes: int,
                     tiou_thresholds=THUMOS_TIOUS,
                     ambiguous_video_ids: Optional[Sequence] = None,
                     ambiguous_segments: Optional[np.ndarray] = None,
                     blocked_videos: Iterable = ()) -> Dict[str, np.ndarray]:
    """The matching behind :func:`temporal_map` (same arguments, same
    rules), for analyses that need to know which prediction took which
    ground truth.

    Returns:
        dict: ``order`` (N',) input index of each scored prediction in
        ranking order (class-major, score descending; predictions of
        blocked videos, on ambiguous segments or of classes without ground
        truth are left out), ``labels`` (N',) their classes, ``matched``
        (T, N') input index of the ground truth each took at each
        threshold (-1: false positive) and ``npos`` (C,) ground-truth
        instances per class (blocked videos left out).
    """
    match = _candidate_matches(
        pred_video_ids, pred_segments, pred_labels, pred_scores,
        gt_video_ids, gt_segments, gt_labels, num_classes, tiou_thresholds,
        ambiguous_video_ids, ambiguous_segments, blocked_videos)
    matched = np.full((match['matched'].shape[0], match['labels'].size), -1,
                      np.int64)
    matched[:, match['candidates']] = match['matched']
    return dict(order=match['order'], labels=match['labels'],
                matched=matched, npos=match['npos'])


def _candidate_matches(pred_video_ids, pred_segments, pred_labels,
                       pred_scores, gt_video_ids, gt_segments, gt_labels,
                       num_classes, tiou_thresholds, ambiguous_video_ids,
                       ambiguous_segments, blocked_videos) -> dict:
    """:func:`match_detections` with ``matched`` kept for the predictions
    that have a candidate ground truth only: ``candidates`` (K,) their
    ranks (positions in ``order``), ``matched`` (T, K). Every other
    prediction is a false positive at every threshold; at a million
    predictions most are, and a full (T, N) int64 array is 56 MB."""
    tious = check_tiou_thresholds(tiou_thresholds, allow_zero=True)
    pred, gt, amb_segments = _checked_arrays(
        pred_video_ids, pred_segments, pred_labels, pred_scores,
        gt_video_ids, gt_segments, gt_labels, num_classes,
        ambiguous_video_ids, ambiguous_segments)
    pred['index'] = np.arange(pred['labels'].size)
    gt['index'] = np.arange(gt['labels'].size)
    pred['video'], gt['video'], amb_video, blocked = _encode_videos(
        pred_video_ids, gt_video_ids,
        [] if ambiguous_video_ids is None else ambiguous_video_ids,
        list(blocked_videos))
    pred, gt, npos = _scored_subset(pred, gt, amb_video, amb_segments,
                                    blocked, num_classes)
    order = _ranked(pred, num_classes)
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    pi, gj, tiou = _candidate_pairs(pred, gt, tious.min(), rank)
    # pi is sorted: compact prediction keys 0..K-1 for the matching
    head = np.ones(pi.size, dtype=bool)
    head[1:] = pi[1:] != pi[:-1]
    candidates = pi[head]
    matched = _matches(np.cumsum(head) - 1, gj, tiou, tious,
                       candidates.size, gt['labels'].size)
    return dict(
        order=pred['index'][order],
        labels=pred['labels'][order],
        candidates=candidates,
        matched=np.where(matched >= 0, gt['index'][matched], -1),
        npos=npos)


def best_overlaps(pred_video_ids: Sequence, pred_segments: np.ndarray,
                  gt_video_ids: Sequence, gt_segments: np.ndarray,
                  min_tiou: float) -> Tuple[np.ndarray, np.ndarray]:
    """For each prediction, the ground truth of its video, of any class,
    with the highest tIoU (ties: the first given), if that tIoU is
    ``>= min_tiou`` (> 0).

    Returns:
        tuple: ``best`` (N,) input index of that ground truth, -1 where
        none, and ``tiou`` (N,) its tIoU (0 where none).
    """
    n_pred, n_gt = len(pred_video_ids), len(gt_video_ids)
    pred = dict(segments=np.asarray(pred_segments,
                                    np.float64).reshape(-1, 2),
                labels=np.zeros(n_pred, np.int64))
    gt = dict(segments=np.asarray(gt_segments, np.float64).reshape(-1, 2),
              labels=np.zeros(n_gt, np.int64))
    pred['video'], gt['video'] = _encode_videos(pred_video_ids,
                                                gt_video_ids)
    best = np.full(n_pred, -1, dtype=np.int64)
    best_tiou = np.zeros(n_pred)
    if n_pred == 0 or n_gt == 0:
        return best, best_tiou
    pi, gj, tiou = _candidate_pairs(pred, gt, float(min_tiou))
    # Pairs come per prediction, best first.
    head = np.ones(pi.size, dtype=bool)
    head[1:] = pi[1:] != pi[:-1]
    best[pi[head]] = gj[head]
    best_tiou[pi[head]] = tiou[head]
    return best, best_tiou


def _checked_arrays(pred_video_ids, pred_segments, pred_labels, pred_scores,
                    gt_video_ids, gt_segments, gt_labels, num_classes,
                    ambiguous_video_ids, ambiguous_segments):
    """Step 1: the inputs as arrays of the documented shapes and dtypes
    (predictions, ground truth, ambiguous segments); ValueError on
    inconsistent lengths, labels out of range, NaN scores or bad
    segments."""
    pred = dict(
        segments=np.asarray(pred_segments, np.float64).reshape(-1, 2),
        labels=np.asarray(pred_labels).reshape(-1).astype(np.int64),
        scores=np.asarray(pred_scores, np.float64).reshape(-1))
    gt = dict(
        segments=np.asarray(gt_segments, np.float64).reshape(-1, 2),
        labels=np.asarray(gt_labels).reshape(-1).astype(np.int64))
    n_pred, n_gt = pred['labels'].size, gt['labels'].size
    if not (pred['segments'].shape[0] == pred['scores'].size == n_pred ==
            np.asarray(pred_video_ids).size):
        raise ValueError('prediction arrays have different lengths')
    if not (gt['segments'].shape[0] == n_gt == np.asarray(
            gt_video_ids).size):
        raise ValueError('ground-truth arrays have different lengths')
    for name, lab in (('pred_labels', pred['labels']), ('gt_labels',
                                                         gt['labels'])):
        if lab.size and (lab.min() < 0 or lab.max() >= num_classes):
            raise ValueError(f'{name} must lie in [0, {num_classes})')
    if np.isnan(pred['scores']).any():
        raise ValueError('pred_scores contain NaN')
    for name, seg in (('pred_segments', pred['segments']),
                      ('gt_segments', gt['segments'])):
        if not np.isfinite(seg).all() or (seg[:, 1] < seg[:, 0]).any():
            raise ValueError(f'{name} must be finite with end >= start')
    if ambiguous_video_ids is None:
        ambiguous_video_ids, ambiguous_segments = [], np.zeros((0, 2))
    amb_segments = np.asarray(ambiguous_segments, np.float64).reshape(-1, 2)
    if len(ambiguous_video_ids) != amb_segments.shape[0]:
        raise ValueError('ambiguous arrays have different lengths')
    return pred, gt, amb_segments


def _select(arrays: dict, keep: np.ndarray) -> dict:
    return {k: v[keep] for k, v in arrays.items()}


def _scored_subset(pred, gt, amb_video, amb_segments, blocked, num_classes):
    """Step 2: drop blocked videos (both sides), predictions intersecting an
    ambiguous segment and predictions of classes without ground truth
    (they cannot change any AP). Returns pred, gt and the per-class
    ground-truth counts."""
    if blocked.size:
        gt = _select(gt, ~np.isin(gt['video'], blocked))
        pkeep = ~np.isin(pred['video'], blocked)
    else:
        pkeep = np.ones(pred['labels'].size, dtype=bool)
    pkeep &= ~overlaps_ambiguous(pred['video'], pred['segments'], amb_video,
                                 amb_segments)
    npos = np.bincount(gt['labels'], minlength=num_classes)
    pkeep &= npos[pred['labels']] > 0
    return (pred if pkeep.all() else _select(pred, pkeep)), gt, npos


def _ranked(pred, num_classes) -> np.ndarray:
    """Step 3: the ranking order of ``pred``: class-major, score
    descending, ties in input order. A stable sort of the labels (int16: a
    radix sort), then a stable sort of each class's scores, in cache: a
    third of the time of ``lexsort`` at a million predictions, the same
    order."""
    labels = pred['labels']
    if num_classes <= np.iinfo(np.int16).max:
        labels = labels.astype(np.int16)
    order = np.argsort(labels, kind='stable')
    neg_scores = -pred['scores'][order]
    bounds = np.searchsorted(labels[order], np.arange(num_classes + 1))
    for c in np.flatnonzero(np.diff(bounds) > 1):
        lo, hi = bounds[c], bounds[c + 1]
        order[lo:hi] = order[lo:hi][np.argsort(neg_scores[lo:hi],
                                               kind='stable')]
    return order


def _candidate_pairs(pred, gt, min_tiou, rank=None):
    """Step 4: (prediction, gt) pairs of the same video and class with
    tIoU >= ``min_tiou``, sorted by ``pi`` and each prediction's pairs by
    preference (highest tIoU, then input gt order). Returns ``pi, gj,
    tiou`` with ``pi`` positions in ``pred`` (its ranks, ``rank[i]``, when
    ``rank`` is given: the predictions need not be gathered in rank order)
    and ``gj`` positions in ``gt``."""
    pv, pred_segments = pred['video'], pred['segments']
    gv, gt_segments = gt['video'], gt['segments']
    # With a positive threshold only gt that can overlap are paired:
    # start < pred end and start > pred start - longest gt of the group.
    num_v = int(max(pv.max(initial=-1), gv.max(initial=-1))) + 1
    gkey = gt['labels'] * num_v + gv
    gorder = np.lexsort((gt_segments[:, 0], gkey))
    gkey_sorted = gkey[gorder]
    gseg = gt_segments[gorder]
    pkey = np.where(pv >= 0, pred['labels'] * num_v + pv, -1)
    if min_tiou > 0 and gkey.size:
        ukeys, first_idx = np.unique(gkey_sorted, return_index=True)
        longest = np.maximum.reduceat(gseg[:, 1] - gseg[:, 0], first_idx)
        slot = _find(ukeys, pkey)
        # Only predictions with ground truth of their class and video pair.
        some = np.flatnonzero(slot >= 0)
        starts = pred_segments[some, 0]
        # Margin only widens the range; the exact tIoU test follows.
        low = starts - longest[slot[some]] - 1e-6 * (1.0 + np.abs(starts))
        lo = _count_below(gkey_sorted, gseg[:, 0], pkey[some], low)
        hi = _count_below(gkey_sorted, gseg[:, 0], pkey[some],
                          pred_segments[some, 1])
        pi, gj = _expand_ranges(lo, hi)
        pi = some[pi]
    else:
        pi, gj = _expand_groups(pkey, gkey_sorted)
    tiou = pair_tiou(pred_segments[pi, 0], pred_segments[pi, 1],
                     gseg[gj, 0], gseg[gj, 1])
    cand = tiou >= min_tiou
    pi, gj, tiou = pi[cand], gj[cand], tiou[cand]
    gj = gorder[gj]
    if rank is not None:
        pi = rank[pi]
    pref = np.lexsort((gj, -tiou, pi))
    return pi[pref], gj[pref], tiou[pref]


def _matches(pi, gj, tiou, tious, n_pred, n_gt) -> np.ndarray:
    """Step 5: greedy matching at every threshold at once; (T, n_pred)
    gt position taken by each prediction, -1 for none."""
    pk_parts, gk_parts = [], []
    for t, thr in enumerate(tious):
        ok = tiou >= thr
        pk_parts.append(pi[ok] + t * n_pred)
        gk_parts.append(gj[ok] + t * n_gt)
    num_t = tious.size
    match = _greedy_match(
        np.concatenate(pk_parts), np.concatenate(gk_parts), num_t * n_pred,
        num_t * n_gt).reshape(num_t, n_pred)
    offset = (np.arange(num_t) * n_gt)[:, None]
    return np.where(match >= 0, match - offset, -1)


def average_precisions(tp, ranked_labels, npos, normalize_to=None):
    """Step 6: AP per threshold and class (NaN without ground truth) and
    their mean over classes with ground truth.

    Args:
        tp (np.ndarray): (T, N) bool, true positive per ranked prediction.
        ranked_labels (np.ndarray): (N,) classes, sorted (class-major).
        npos (np.ndarray): (C,) ground-truth instances per class.
        normalize_to (float, optional): DETAD's normalized AP: precision
            ``R N / (R N + FP)`` with recall ``R`` and this ``N`` for every
            class (default: ``N = npos[c]``, the plain precision), so that
            classes or subsets of different sizes compare.

    Returns:
        tuple: ``ap`` (T, C) and ``mAP`` (T,).
    """
    num_t, num_classes = tp.shape[0], npos.size
    ap = np.full((num_t, num_classes), np.nan)
    ap[:, npos > 0] = 0.0
    bounds = np.searchsorted(ranked_labels, np.arange(num_classes + 1))
    for c in np.flatnonzero(npos > 0):
        lo, hi = bounds[c], bounds[c + 1]
        if hi == lo:
            continue
        tp_cum = np.cumsum(tp[:, lo:hi], axis=1, dtype=np.float64)
        rank = np.arange(1, hi - lo + 1, dtype=np.float64)
        recall = tp_cum / npos[c]
        if normalize_to is None:
            precision = tp_cum / rank
        else:
            hits = recall * normalize_to
            precision = hits / (hits + rank - tp_cum)
        ap[:, c] = interpolated_ap(precision, recall)
    if (npos > 0).any():
        mean_ap = np.nanmean(ap, axis=1)
    else:
        warnings.warn('temporal_map: no ground truth, mAP is NaN')
        mean_ap = np.full(num_t, np.nan)
    return ap, mean_ap


def average_precision_per_class(pred_video_ids: Sequence,
                                pred_segments: np.ndarray,
                                pred_scores: np.ndarray,
                                gt_video_ids: Sequence,
                                gt_segments: np.ndarray,
                                tiou_thresholds=THUMOS_TIOUS) -> np.ndarray:
    """AP at each threshold for one class (the same rules as
    :func:`temporal_map`). Returns a (T,) array; NaN when there is no
    ground truth."""
    ap, _ = temporal_map(
        pred_video_ids, pred_segments, np.zeros(len(pred_scores), np.int64),
        pred_scores, gt_video_ids, gt_segments,
        np.zeros(len(gt_video_ids), np.int64), 1, tiou_thresholds)
    return ap[:, 0]


# ---------------------------------------------------------------------------
# Summaries shared by the metric and ``tools/eval_results.py``.

# Named averages over sub-ranges of thresholds (THUMOS-14 tables).
RANGE_AVERAGES = (('mAP_AVG[0.1:0.5]', 0.1, 0.5), ('mAP_AVG[0.3:0.7]', 0.3,
                                                    0.7))


def summarize_map(tiou_thresholds, mean_ap) -> Dict[str, float]:
    """Metric dict in percent: ``mAP@0.10``..., ``mAP_AVG`` and the THUMOS
    range averages when all their thresholds (step 0.1) were evaluated."""
    tious = check_tiou_thresholds(tiou_thresholds, allow_zero=True)
    mean_ap = np.asarray(mean_ap, dtype=np.float64) * 100.0
    out = {f'mAP@{t:.2f}': float(m) for t, m in zip(tious, mean_ap)}
    out['mAP_AVG'] = float(mean_ap.mean())
    for name, lo, hi in RANGE_AVERAGES:
        wanted = np.round(np.arange(lo, hi + 1e-9, 0.1), 6)
        idx = [np.flatnonzero(np.isclose(tious, w)) for w in wanted]
        if all(i.size for i in idx):
            out[name] = float(mean_ap[[i[0] for i in idx]].mean())
    return out


def format_map_table(tiou_thresholds, mean_ap, ap=None,
                     class_names: Optional[Sequence[str]] = None) -> str:
    """Readable table (percent): one column per tIoU plus the average; with
    ``ap`` and ``class_names`` also one row per class."""
    tious = check_tiou_thresholds(tiou_thresholds, allow_zero=True)
    head = ['tIoU'] + [f'{t:.2f}' for t in tious] + ['AVG']
    rows = []
    if ap is not None and class_names is not None:
        for c, name in enumerate(class_names):
            vals = np.asarray(ap)[:, c] * 100.0
            rows.append([str(name)] + [_fmt(v) for v in vals] +
                        [_fmt(vals.mean())])
    mean_ap = np.asarray(mean_ap) * 100.0
    rows.append(['mAP'] + [_fmt(v) for v in mean_ap] + [_fmt(mean_ap.mean())])
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
    line = '+' + '+'.join('-' * (w + 2) for w in widths) + '+'

    def fmt_row(r):
        return '| ' + ' | '.join(
            (c.ljust(w) if i == 0 else c.rjust(w))
            for i, (c, w) in enumerate(zip(r, widths))) + ' |'

    body = [line, fmt_row(head), line]
    body += [fmt_row(r) for r in rows[:-1]]
    if len(rows) > 1:
        body.append(line)
    body += [fmt_row(rows[-1]), line]
    return '\n'.join(body)


def _fmt(v) -> str:
    return 'n/a' if np.isnan(v) else f'{v:.2f}'
