"""temporal_map: hand-computed cases and agreement with a loop reference."""
from pathlib import Path

import numpy as np
import pytest

from mmtrpn.evaluation.functional import (average_precision_per_class,
                                          interpolated_ap, summarize_map,
                                          temporal_map)
from mmtrpn.structures.annotations import load_ground_truth
from mmtrpn.structures.segments import segment_tiou
from mmtrpn.testing import reference_map

REPO = Path(__file__).resolve().parents[2]
THUMOS_JSON = REPO.parent / 'shared' / 'data' / 'thumos14' / 'thumos14.json'


def _one_class(preds, gts, tious):
    """preds: [(video, s, e, score)], gts: [(video, s, e)] -> ap (T,)."""
    return average_precision_per_class(
        [p[0] for p in preds], [p[1:3] for p in preds], [p[3] for p in preds],
        [g[0] for g in gts], [g[1:3] for g in gts], tious)


def test_segment_tiou():
    pred = np.array([[0., 10.], [5., 15.], [20., 30.], [3., 3.]])
    gt = np.array([[0., 10.], [3., 3.]])
    expected = np.array([[1., 0.], [5 / 15, 0.], [0., 0.], [0., 0.]])
    np.testing.assert_allclose(segment_tiou(pred, gt), expected)


def test_interpolated_ap_by_hand():
    # prec [1, .5, 2/3], rec [.5, .5, 1]: monotone prec [1, 1, 2/3, 2/3];
    # area .5 * 1 + .5 * 2/3 = 5/6.
    assert interpolated_ap([1, .5, 2 / 3], [.5, .5, 1]) == pytest.approx(5 / 6)
    assert interpolated_ap(np.zeros(0), np.zeros(0)) == 0.0
    batched = interpolated_ap([[1, .5], [0, 1]], [[.5, .5], [0, .5]])
    np.testing.assert_allclose(batched, [.5, .5])


def test_hand_computed_three_preds_two_gts():
    # gt G1 [0, 10], G2 [20, 30] in one video.
    # P1 [0, 10] s=.9: tIoU(G1)=1      -> TP at every threshold
    # P2 [1, 10] s=.8: tIoU(G1)=.9     -> G1 already taken: FP (duplicate)
    # P3 [20, 25] s=.7: tIoU(G2)=.5    -> TP iff threshold <= .5
    # thr .5: tp 1,0,1 -> prec 1,.5,2/3, rec .5,.5,1 -> AP 5/6
    # thr .6: tp 1,0,0 -> prec 1,.5,1/3, rec .5,.5,.5 -> AP .5
    gts = [('v', 0, 10), ('v', 20, 30)]
    preds = [('v', 0, 10, .9), ('v', 1, 10, .8), ('v', 20, 25, .7)]
    ap = _one_class(preds, gts, [0.5, 0.6, 0.95])
    np.testing.assert_allclose(ap, [5 / 6, 0.5, 0.5])


def test_duplicates_are_false_positives():
    gts = [('v', 0, 10)]
    # Copies of a found instance are FPs; after full recall they cost
    # nothing (AP 1), before the last TP they do (tp 1,0,1 -> AP 5/6).
    preds = [('v', 0, 10, .9), ('v', 0, 10, .8), ('v', 0, 10, .7)]
    np.testing.assert_allclose(_one_class(preds, gts, [.5]), [1.0])
    gts = [('v', 0, 10), ('v', 20, 30)]
    preds = [('v', 0, 10, .9), ('v', 0, 10, .8), ('v', 20, 30, .7)]
    np.testing.assert_allclose(_one_class(preds, gts, [.5]), [5 / 6])


def test_equal_scores_keep_input_order():
    gts = [('v', 0, 10), ('v', 20, 30)]
    fp = ('v', 40, 50, .5)
    tp1 = ('v', 0, 10, .5)
    tp2 = ('v', 20, 30, .4)
    # FP first: tp 0,1,1 -> prec 0,.5,2/3, rec 0,.5,1 -> AP 2/3
    np.testing.assert_allclose(_one_class([fp, tp1, tp2], gts, [.5]), [2 / 3])
    # TP first: tp 1,0,1 -> AP 5/6
    np.testing.assert_allclose(_one_class([tp1, fp, tp2], gts, [.5]), [5 / 6])


def test_best_unmatched_gt_is_taken():
    # P1 overlaps G1 (tIoU .8) more than G2 (tIoU 1/3) -> takes G1; P2
    # overlaps G1 best too but it is taken -> falls back to G2 if >= thr.
    gts = [('v', 0, 10), ('v', 6, 16)]
    preds = [('v', 0, 8, .9), ('v', 2, 10, .8)]
    # P2: tIoU(G1)=.8 taken, tIoU(G2)=4/14 -> TP at .2, FP at .3
    ap = _one_class(preds, gts, [.2, .3])
    np.testing.assert_allclose(ap, [1.0, 0.5])


def test_class_without_predictions_and_without_gt():
    gt_v = ['a', 'a']
    gt_seg = [[0, 10], [20, 30]]
    gt_lab = [0, 1]  # class 2 has no gt
    ap, m = temporal_map(['a', 'a'], [[0, 10], [50, 60]], [0, 2], [.9, .8],
                         gt_v, gt_seg, gt_lab, 3, [.5])
    assert ap[0, 0] == 1.0
    assert ap[0, 1] == 0.0  # gt, no prediction: counts as 0
    assert np.isnan(ap[0, 2])  # no gt: left out of the mean
    assert m[0] == pytest.approx(0.5)


def test_predictions_only_match_their_own_video():
    gt_v, gt_seg, gt_lab = ['a', 'b'], [[0, 10], [0, 10]], [0, 0]
    # The prediction in 'c' (no gt) and the 2nd one in 'a' are FPs.
    ap, _ = temporal_map(['a', 'c', 'a', 'b'], [[0, 10]] * 4, [0] * 4,
                         [.9, .8, .7, .6], gt_v, gt_seg, gt_lab, 1, [.5])
    # tp 1,0,0,1 -> prec 1,.5,1/3,.5 rec .5,.5,.5,1 -> .5 + .5*.5 = .75
    assert ap[0, 0] == pytest.approx(0.75)


def test_ambiguous_and_blocked_videos():
    gt_v, gt_seg, gt_lab = ['a', 'b'], [[0, 10], [0, 10]], [0, 0]
    pv = ['a', 'a', 'b']
    ps = [[40, 50], [0, 10], [0, 10]]
    kw = dict(num_classes=1, tiou_thresholds=[.5])
    ap, _ = temporal_map(pv, ps, [0] * 3, [.9, .8, .7], gt_v, gt_seg, gt_lab,
                         **kw)
    # tp 0,1,1 -> prec 0,.5,2/3, monotone 2/3 everywhere -> AP 2/3
    assert ap[0, 0] == pytest.approx(2 / 3)
    # The FP touches an ambiguous segment of its video: dropped. A segment
    # merely abutting ([10, 20]) or in another video does not drop anything.
    ap, _ = temporal_map(
        pv, ps, [0] * 3, [.9, .8, .7], gt_v, gt_seg, gt_lab,
        ambiguous_video_ids=['a', 'a', 'b'],
        ambiguous_segments=[[45, 46], [10, 20], [40, 50]], **kw)
    assert ap[0, 0] == pytest.approx(1.0)
    # Blocking 'b' removes its gt and prediction.
    ap, _ = temporal_map(pv, ps, [0] * 3, [.9, .8, .7], gt_v, gt_seg, gt_lab,
                         blocked_videos=['b'], **kw)
    assert ap[0, 0] == pytest.approx(0.5)


def test_input_validation():
    with pytest.raises(ValueError, match='pred_labels'):
        temporal_map(['a'], [[0, 1]], [3], [1.], ['a'], [[0, 1]], [0], 2)
    with pytest.raises(ValueError, match='end >= start'):
        temporal_map(['a'], [[2, 1]], [0], [1.], ['a'], [[0, 1]], [0], 2)
    with pytest.raises(ValueError, match='lengths'):
        temporal_map(['a'], [[0, 1]], [0, 0], [1.], ['a'], [[0, 1]], [0], 2)


def test_summarize_map_keys_and_percent():
    tious = np.linspace(0.1, 0.7, 7)
    out = summarize_map(tious, np.linspace(0.7, 0.1, 7))
    assert list(out)[:7] == [f'mAP@0.{i}0' for i in range(1, 8)]
    assert out['mAP@0.10'] == pytest.approx(70.0)
    assert out['mAP_AVG'] == pytest.approx(40.0)
    assert out['mAP_AVG[0.1:0.5]'] == pytest.approx(50.0)
    assert out['mAP_AVG[0.3:0.7]'] == pytest.approx(30.0)
    out = summarize_map(np.linspace(0.5, 0.95, 10), np.ones(10))
    assert 'mAP_AVG[0.1:0.5]' not in out and 'mAP@0.95' in out


def _random_case(rng, n_video, n_class, n_gt, n_pred, grid=False):
    gv = rng.integers(0, n_video, n_gt)
    gl = rng.integers(0, n_class, n_gt)
    start = rng.uniform(0, 200, n_gt)
    gseg = np.stack([start, start + rng.uniform(0.5, 20, n_gt)], 1)
    src = rng.integers(0, n_gt, n_pred)
    pv, pl = gv[src].copy(), gl[src].copy()
    length = gseg[src, 1] - gseg[src, 0]
    pseg = gseg[src] + rng.normal(0, 0.3, (n_pred, 2)) * length[:, None]
    pseg.sort(axis=1)
    noise = rng.random(n_pred) < 0.3  # wrong class or random place
    pl[noise] = rng.integers(0, n_class, noise.sum())
    far = rng.random(n_pred) < 0.2
    pv[far] = rng.integers(0, n_video + 3, far.sum())  # some unknown videos
    pseg[far] = np.sort(rng.uniform(0, 220, (far.sum(), 2)), axis=1)
    scores = rng.permutation(n_pred) + rng.random(n_pred) * 0.5
    if grid:  # snippet grid: ties in tIoU and in scores
        gseg, pseg = np.round(gseg), np.round(pseg)
        # No zero-length segments: their tIoU is 0/0 (see module docs).
        gseg[:, 1] = np.maximum(gseg[:, 1], gseg[:, 0] + 1)
        pseg[:, 1] = np.maximum(pseg[:, 1], pseg[:, 0] + 1)
        scores = np.round(rng.random(n_pred) * 10)
    return ([f'v{v}' for v in pv], pseg, pl, scores, [f'v{v}' for v in gv],
            gseg, gl)


@pytest.mark.parametrize('seed', range(6))
def test_matches_loop_reference_random(seed):
    rng = np.random.default_rng(seed)
    n_class = int(rng.integers(1, 8))
    case = _random_case(rng, int(rng.integers(1, 40)), n_class,
                        int(rng.integers(1, 300)), int(rng.integers(0, 1500)))
    tious = np.linspace(0.1, 0.9, 9) if seed % 2 else np.linspace(
        0.5, 0.95, 10)
    ap, m = temporal_map(*case, n_class, tious)
    ref_ap, ref_m = reference_map(*case, n_class, tious)
    np.testing.assert_array_equal(np.isnan(ap), np.isnan(ref_ap))
    np.testing.assert_allclose(ap, ref_ap, atol=1e-6, equal_nan=True)
    np.testing.assert_allclose(m, ref_m, atol=1e-6)


@pytest.mark.parametrize('seed', range(3))
def test_matches_reference_with_ties_and_zero_threshold(seed):
    # Both implement the same tie rules (stable score sort, first-listed gt
    # among equal tIoU); a zero threshold pairs even disjoint segments.
    rng = np.random.default_rng(100 + seed)
    case = _random_case(rng, 10, 3, 120, 600, grid=True)
    for tious in ([0.0, 0.3, 0.5], [0.1, 0.5, 0.7]):
        ap, m = temporal_map(*case, 3, tious)
        ref_ap, ref_m = reference_map(*case, 3, tious)
        np.testing.assert_allclose(ap, ref_ap, atol=1e-6, equal_nan=True)


def test_integer_video_ids():
    rng = np.random.default_rng(7)
    pv, ps, pl, sc, gv, gs, gl = _random_case(rng, 20, 4, 150, 800)
    as_int = [np.array([int(v[1:]) for v in ids]) for ids in (pv, gv)]
    a, _ = temporal_map(pv, ps, pl, sc, gv, gs, gl, 4)
    b, _ = temporal_map(as_int[0], ps, pl, sc, as_int[1], gs, gl, 4)
    np.testing.assert_array_equal(a, b)


def test_matches_reference_on_real_thumos14():
    if not THUMOS_JSON.exists():
        pytest.skip(f'real THUMOS-14 annotations absent ({THUMOS_JSON})')
    with pytest.warns(UserWarning, match='clipped'):
        gt = load_ground_truth(str(THUMOS_JSON), subset='test')
    # 3358 in the file; the 26 that start past their video's annotated
    # duration are dropped by the dataset's rule, which the loader shares.
    assert len(gt['classes']) == 20 and gt['labels'].size == 3332
    rng = np.random.default_rng(0)
    n_gt, n_class = gt['labels'].size, len(gt['classes'])
    src = rng.integers(0, n_gt, 5000)
    seg = gt['segments'][src]
    length = seg[:, 1] - seg[:, 0]
    shift = rng.normal(0, 0.3, (src.size, 1)) * length[:, None]
    scale = np.exp(rng.normal(0, 0.3, src.size))[:, None]
    center = seg.mean(1, keepdims=True) + shift
    pseg = center + (seg - seg.mean(1, keepdims=True)) * scale
    plab = gt['labels'][src].copy()
    wrong = rng.random(src.size) < 0.2
    plab[wrong] = rng.integers(0, n_class, wrong.sum())
    videos = np.asarray(gt['videos'])
    fp_start = rng.uniform(0, 300, 3000)
    pseg = np.concatenate(
        [pseg, np.stack([fp_start, fp_start + rng.uniform(1, 10, 3000)], 1)])
    pvid = np.concatenate(
        [gt['video_ids'][src], videos[rng.integers(0, videos.size, 3000)]])
    plab = np.concatenate([plab, rng.integers(0, n_class, 3000)])
    scores = rng.permutation(plab.size) + rng.random(plab.size) * 0.5
    pseg = np.clip(pseg, 0, None)
    args = (pvid, pseg, plab, scores, gt['video_ids'], gt['segments'],
            gt['labels'], n_class, np.linspace(0.1, 0.7, 7))
    ap, m = temporal_map(*args)
    ref_ap, ref_m = reference_map(*args)
    np.testing.assert_allclose(ap, ref_ap, atol=1e-6)
    np.testing.assert_allclose(m, ref_m, atol=1e-6)
    assert 0.05 < m[-1] < m[0] < 0.95


def test_no_predictions_at_all():
    ap, m = temporal_map([], np.zeros((0, 2)), [], [], ['a'], [[0, 1]], [0],
                         2, [0.0, 0.5])
    np.testing.assert_array_equal(ap[:, 0], [0, 0])
    assert np.isnan(ap[:, 1]).all() and (m == 0).all()


def test_count_below_packed_equals_the_lexsort_count():
    import importlib
    tm = importlib.import_module(
        'mmtrpn.evaluation.functional.temporal_map')
    rng = np.random.default_rng(0)
    keys = np.sort(rng.integers(0, 6, 40))
    vals = np.round(rng.uniform(0, 5, 40), 1)  # ties
    order = np.lexsort((vals, keys))
    keys, vals = keys[order], vals[order]
    qkeys = rng.integers(-1, 7, 300)
    qvals = np.concatenate([np.round(rng.uniform(-1, 6, 290), 1), vals[:10]])
    packed = tm._count_below_packed(keys, vals, qkeys, qvals)
    brute = np.array([np.sum((keys < k) | ((keys == k) & (vals < v)))
                      for k, v in zip(qkeys, qvals)])
    np.testing.assert_array_equal(packed, brute)
    np.testing.assert_array_equal(tm._count_below(keys, vals, qkeys, qvals),
                                  brute)
    empty = np.zeros(0, np.int64)
    assert tm._count_below_packed(keys, vals, empty, empty * 1.0).size == 0


def test_encode_videos_int_ids_without_a_python_loop():
    import importlib
    tm = importlib.import_module(
        'mmtrpn.evaluation.functional.temporal_map')
    pred, gt = tm._encode_videos(np.array([5, 9, 2, 5]), np.array([2, 5]))
    np.testing.assert_array_equal(pred, [1, -1, 0, 1])
    np.testing.assert_array_equal(gt, [0, 1])


@pytest.mark.parametrize('spread', [1, 10**9])
def test_find_by_table_and_by_binary_search(spread):
    # spread 1: keys in a narrow range, the dense table; 10**9: searchsorted
    import importlib
    tm = importlib.import_module(
        'mmtrpn.evaluation.functional.temporal_map')
    keys = np.array([3, 4, 8, 20], np.int64) * spread
    queries = np.array([8, -1, 3, 21, 20, 0, 5, 4, 2**40], np.int64) * spread
    found = tm._find(keys, queries)
    np.testing.assert_array_equal(found, [2, -1, 0, -1, 3, -1, -1, 1, -1])
    assert tm._find(keys[:0], queries).tolist() == [-1] * 9


@pytest.mark.parametrize('num_classes', [3, 40000])
def test_ranking_equals_lexsort_class_major_score_descending(num_classes):
    # int16 radix sort of the labels below 32768 classes, int64 above
    import importlib
    tm = importlib.import_module(
        'mmtrpn.evaluation.functional.temporal_map')
    rng = np.random.default_rng(3)
    pred = dict(labels=rng.integers(0, num_classes, 500),
                scores=np.round(rng.random(500), 1))  # many ties
    np.testing.assert_array_equal(
        tm._ranked(pred, num_classes),
        np.lexsort((-pred['scores'], pred['labels'])))


def test_integer_video_ids_far_apart():
    # Codes too spread for a table take the binary search; same AP.
    rng = np.random.default_rng(8)
    pv, ps, pl, sc, gv, gs, gl = _random_case(rng, 20, 4, 150, 800)
    a, _ = temporal_map(pv, ps, pl, sc, gv, gs, gl, 4)
    far = [np.array([int(v[1:]) * 10**12 for v in ids]) for ids in (pv, gv)]
    b, _ = temporal_map(far[0], ps, pl, sc, far[1], gs, gl, 4)
    np.testing.assert_array_equal(a, b)


def _mmaction_ap_per_class(case, n_class, tious):
    """MMAction2's average_precision_at_temporal_iou, called once per class
    (it matches every prediction to every ground truth of its video,
    whatever the class) -> (n_tiou, n_class), NaN for a class without GT.
    """
    from mmaction.evaluation.functional import \
        average_precision_at_temporal_iou
    pv, pseg, pl, scores, gv, gseg, gl = case
    out = np.full((len(tious), n_class), np.nan)
    for c in range(n_class):
        gt = {}
        for v, seg in zip(np.asarray(gv)[gl == c], gseg[gl == c]):
            gt.setdefault(v, []).append(seg)
        if not gt:
            continue
        keep = pl == c
        preds = np.empty((keep.sum(), 5), dtype=object)
        preds[:, 0] = np.asarray(pv)[keep]
        preds[:, 1] = c
        preds[:, 2:4] = pseg[keep]
        preds[:, 4] = scores[keep]
        out[:, c] = average_precision_at_temporal_iou(
            {v: np.array(s) for v, s in gt.items()}, preds, np.asarray(tious))
    return out


@pytest.mark.parametrize('seed', range(4))
def test_matches_mmaction2_at_every_tiou(seed):
    # Continuous scores and segments: MMAction2 breaks ties in score and
    # tIoU the other way round (reversed argsort), so ties are avoided.
    rng = np.random.default_rng(200 + seed)
    n_class = 5
    case = _random_case(rng, 15, n_class, 150, 700)
    tious = np.linspace(0.1, 0.7, 7) if seed % 2 else np.linspace(
        0.5, 0.95, 10)
    ap, _ = temporal_map(*case, n_class, tious)
    theirs = _mmaction_ap_per_class(case, n_class, tious)
    has_gt = ~np.isnan(theirs[0])
    assert has_gt.sum() >= 3
    # Theirs accumulates in float32.
    np.testing.assert_allclose(ap[:, has_gt], theirs[:, has_gt], atol=1e-6)
    assert (theirs[:, has_gt] > 0).any()
