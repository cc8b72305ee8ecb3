"""Error diagnosis on a hand-built case where every prediction's error
type, every bin and every mAP is known (worked out in the comments)."""
import numpy as np
import pytest

from mmtrpn.evaluation.diagnosis import (ERROR_TYPES, OUTCOMES, bin_index,
                                         diagnose_detections,
                                         format_diagnosis)
from mmtrpn.evaluation.functional import best_overlaps, temporal_map

# Video v1 (100 s): A [10, 20], A [40, 50], B [60, 70]; v2 (50 s): B [5, 25].
GT = dict(
    classes=['A', 'B'], videos=['v1', 'v2'], durations=np.array([100., 50.]),
    video_ids=np.array(['v1', 'v1', 'v1', 'v2']),
    segments=np.array([[10., 20.], [40., 50.], [60., 70.], [5., 25.]]),
    labels=np.array([0, 0, 1, 1]))
# (segment, class, score, outcome at tIoU 0.5)
PREDS = [
    ([10, 20], 0, 0.90, 'true positive'),  # A1, tIoU 1
    ([10, 19], 0, 0.80, 'double detection'),  # A1 again, tIoU 0.9
    ([60, 70], 0, 0.70, 'wrong label'),  # B1, tIoU 1
    ([40, 44], 0, 0.60, 'localization'),  # A2, tIoU 0.4
    ([62, 66], 0, 0.50, 'wrong label + localization'),  # B1, tIoU 0.4
    ([85, 90], 0, 0.40, 'background'),
    ([92, 95], 0, 0.35, 'background'),
    ([40, 50], 0, 0.30, 'true positive'),  # A2, tIoU 1
    ([60, 70], 1, 0.95, 'true positive'),  # B1
]


def _pred():
    return dict(
        video_ids=np.array(['v1'] * len(PREDS)),
        segments=np.array([p[0] for p in PREDS], float),
        labels=np.array([p[1] for p in PREDS]),
        scores=np.array([p[2] for p in PREDS]))


def test_each_prediction_gets_its_error_type():
    diag = diagnose_detections(_pred(), GT, tiou=0.5, min_tiou=0.1)
    got = {int(i): OUTCOMES[o] for i, o in zip(diag.order, diag.outcome)}
    assert got == {i: p[3] for i, p in enumerate(PREDS)}
    assert diag.gt_matched.tolist() == [True, True, True, False]
    assert diag.fn_rate == pytest.approx(0.25)


def test_profile_bins_of_g_predictions():
    # A has G = 2: [TP, double] [wrong, loc] [wrong+loc, bg] [bg, TP];
    # B has G = 2: [TP].
    counts = diagnose_detections(_pred(), GT, profile_bins=5).profile_counts
    expected = np.zeros((5, 6), int)
    expected[0, [0, 1]] = [2, 1]
    expected[1, [2, 3]] = 1
    expected[2, [4, 5]] = 1
    expected[3, [5, 0]] = 1
    assert counts.tolist() == expected.tolist()


def test_map_and_gain_when_an_error_type_is_removed():
    # A: TP at ranks 1 and 8 of 9, npos 2: AP = .5 * 1 + .5 * 2/8 = .625.
    # B: TP at rank 1, npos 2: AP = .5.  mAP = .5625.
    # Removing the two background errors puts A's second TP at rank 6:
    # AP_A = .5 + .5 * 2/6; removing any other type (one FP each), rank 7.
    diag = diagnose_detections(_pred(), GT)
    assert diag.mean_ap == pytest.approx(0.5625)
    ap, mean_ap = temporal_map(*_pred().values(), GT['video_ids'],
                               GT['segments'], GT['labels'], 2, [0.5])
    assert diag.mean_ap == pytest.approx(mean_ap[0])
    gain = diag.map_gain
    assert gain['background'] == pytest.approx((0.5 + 1 / 6 - 0.625) / 2)
    for name in ERROR_TYPES[:-1]:
        assert gain[name] == pytest.approx((0.5 + 1 / 7 - 0.625) / 2)


def test_characteristics_false_negatives_and_map_n():
    # Lengths 10, 10, 10, 20 s: A1, A2, B1 in M (6, 12], B2 in XL (18, inf).
    # Instances of the class in the video: A1, A2 -> 2 (S); B1, B2 -> 1 (XS).
    # Coverage: .1, .1, .1, .4 -> all XL.  N (mean gt per class) = 2.
    diag = diagnose_detections(_pred(), GT)
    by = {c.name: c for c in diag.characteristics}
    length, inst, cov = by['length'], by['instances'], by['coverage']
    assert length.gt_count.tolist() == [0, 0, 3, 0, 1]
    np.testing.assert_allclose(length.fn_rate, [np.nan, np.nan, 0, np.nan,
                                                1])
    # M: A as before (.625); B's npos 1, TP at rank 1 -> 1.  XL: B only,
    # its one prediction took B1 (outside) and is left out -> AP 0.
    np.testing.assert_allclose(length.map_n,
                               [np.nan, np.nan, 0.8125, np.nan, 0.0])
    assert inst.gt_count.tolist() == [2, 2, 0, 0]
    np.testing.assert_allclose(inst.fn_rate, [0.5, 0, np.nan, np.nan])
    # XS: B with npos 2, one TP -> .5; S: A with npos 2 -> .625.
    np.testing.assert_allclose(inst.map_n, [0.5, 0.625, np.nan, np.nan])
    assert cov.gt_count.tolist() == [0, 0, 0, 0, 4]
    assert cov.fn_rate[-1] == pytest.approx(0.25)
    # N = npos for both classes, so mAP_N = mAP here.
    assert diag.base_map_n == pytest.approx(0.5625)


def test_map_n_normalizes_to_the_mean_class_size():
    # One class with 1 gt among classes of mean size 2: one TP then one FP.
    # Plain precision after the TP is 1; normalized R N / (R N + FP) at
    # rank 1 is 1 * 2 / 2 = 1 -> AP_N 1, whatever FPs follow.
    gt = dict(GT, segments=GT['segments'][[0, 1, 2]],
              labels=GT['labels'][[0, 1, 2]],
              video_ids=GT['video_ids'][[0, 1, 2]])
    pred = dict(video_ids=np.array(['v1', 'v1']),
                segments=np.array([[80., 90.], [60., 70.]]),
                labels=np.array([1, 1]), scores=np.array([0.9, 0.8]))
    diag = diagnose_detections(pred, gt)
    # Class B: FP then TP, npos 1. Plain AP = 1/2. N = 3/2 classes = 1.5:
    # precision at the TP = 1.5 / (1.5 + 1) = .6. A has AP 0.
    assert diag.mean_ap == pytest.approx(0.25)
    assert diag.base_map_n == pytest.approx(0.3)


def test_best_overlaps_any_class_first_on_ties():
    best, tiou = best_overlaps(
        np.array(['v1', 'v1', 'v2', 'v3']),
        np.array([[60., 66.], [0., 1.], [5., 25.], [5., 25.]]),
        GT['video_ids'], GT['segments'], 0.1)
    assert best.tolist() == [2, -1, 3, -1]
    np.testing.assert_allclose(tiou, [0.6, 0, 1, 0])


def test_bin_index_right_closed():
    assert bin_index([0, 3, 3.1, 100], [0, 3, 6, np.inf]).tolist() == [
        0, 0, 1, 2]


def test_bad_thresholds_and_table():
    with pytest.raises(ValueError, match='min_tiou < tiou'):
        diagnose_detections(_pred(), GT, tiou=0.1, min_tiou=0.1)
    with pytest.raises(ValueError, match='unknown bins'):
        diagnose_detections(_pred(), GT, bins='imagenet')
    text = format_diagnosis(diagnose_detections(_pred(), GT, profile_bins=4))
    assert 'double detection' in text and '56.25' in text
    assert '| 1G ' in text


def test_match_detections_reports_who_took_what():
    from mmtrpn.evaluation.functional import match_detections
    # Two A predictions on A1 (the better-scored one takes it), one on a
    # class without ground truth (left out), one in a blocked video.
    m = match_detections(
        ['v1', 'v1', 'v1', 'v2'],
        [[10, 19], [10, 20], [60, 70], [5, 25]], [0, 0, 1, 1],
        [0.5, 0.9, 0.7, 0.8], ['v1', 'v2'], [[10, 20], [5, 25]], [0, 0], 2,
        [0.5, 0.95], blocked_videos=['v2'])
    assert m['order'].tolist() == [1, 0]  # class A, score descending
    assert m['labels'].tolist() == [0, 0]
    # tIoU .9 of the second is below 0.95: no double match either way.
    assert m['matched'].tolist() == [[0, -1], [0, -1]]
    assert m['npos'].tolist() == [1, 0]
