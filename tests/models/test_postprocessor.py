import math

import numpy as np
import pytest

from mmtrpn.models.postprocessors import WSTALPostProcessor
from mmtrpn.registry import TASK_UTILS
from mmtrpn.testing import reference_postprocess



def _curve(values, length=10):
    out = np.zeros(length)
    out[:len(values)] = values
    return out


def test_build_from_registry():
    post = TASK_UTILS.build(dict(type='WSTALPostProcessor', nms='hard'))
    assert isinstance(post, WSTALPostProcessor)
    assert post.nms == 'hard'
    with pytest.raises(ValueError):
        WSTALPostProcessor(nms='linear')


def test_single_run_exact_segment_and_oic_score():
    # One run [3, 7) above every threshold (0.95 > 0.9); dedup leaves one
    # candidate. len 4 -> margin max(1, round(1.0)) = 1 on each side.
    # inner = mean(cas[3:7, 0]) = 0.8
    # outer = mean(cas[2], cas[7]) = (0.2 + 0.4) / 2 = 0.3
    # score = 0.8 - 0.3 + 0.2 * 0.5 = 0.6
    fg = _curve([0, 0, 0, .95, .95, .95, .95])
    cas = np.zeros((10, 2))
    cas[:, 0] = [0, 0, .2, .8, .8, .8, .8, .4, 0, 0]
    cas[:, 1] = 0.9  # class 1 is not kept, its cas must not matter
    out = WSTALPostProcessor()(cas, np.array([0.5, 0.1]), fg, 0.5)
    np.testing.assert_array_equal(out['segments'], [[1.5, 3.5]])
    np.testing.assert_array_equal(out['labels'], [0])
    assert out['scores'][0] == pytest.approx(0.6, abs=1e-12)
    assert out['segments'].dtype == np.float64
    assert out['labels'].dtype == np.int64
    assert out['scores'].dtype == np.float64


def test_threshold_is_strict():
    # fg == 0.9 exactly is not above the 0.9 threshold: runs come only from
    # the lower thresholds, all the same [2, 4).
    fg = _curve([0, 0, .9, .9])
    post = WSTALPostProcessor(fg_thresholds=[0.9], nms=None)
    out = post(np.full((10, 1), .5), np.array([.5]), fg, 1.0)
    assert len(out['scores']) == 0
    out = WSTALPostProcessor(fg_thresholds=[0.5, 0.9])(
        np.full((10, 1), .5), np.array([.5]), fg, 1.0)
    np.testing.assert_array_equal(out['segments'], [[2., 4.]])


def test_margins_clipped_at_video_ends():
    post = WSTALPostProcessor(oic_video_weight=0.0, nms=None)
    cas = np.arange(10, dtype=np.float64)[:, None] / 10  # 0.0 .. 0.9
    vs = np.array([0.5])
    # run [0, 4): no left margin; right margin [4, 5) -> outer = 0.4
    # inner = mean(0, .1, .2, .3) = 0.15 -> 0.15 - 0.4 = -0.25
    out = post(cas, vs, _curve([1, 1, 1, 1]), 1.0)
    assert out['scores'][0] == pytest.approx(-0.25, abs=1e-12)
    # run [6, 10): left margin [5, 6) -> 0.5; no right margin
    # inner = mean(.6, .7, .8, .9) = 0.75 -> 0.25
    out = post(cas, vs, _curve([0, 0, 0, 0, 0, 0, 1, 1, 1, 1]), 1.0)
    assert out['scores'][0] == pytest.approx(0.25, abs=1e-12)
    # run over the whole video: both margins empty -> outer = 0
    out = post(cas, vs, np.ones(10), 1.0)
    assert out['scores'][0] == pytest.approx(0.45, abs=1e-12)
    # run [2, 4) (len 2): margin max(1, round(0.5)) = 1 -> cas[1], cas[4]
    # inner 0.25, outer 0.25 -> 0
    out = post(cas, vs, _curve([0, 0, 1, 1]), 1.0)
    assert out['scores'][0] == pytest.approx(0.0, abs=1e-12)


def test_margin_rounds_half_up():
    # len 10 -> 0.25 * 10 = 2.5 -> margin 3 (half up, not to even):
    # outer = cas[2:5] and cas[15:18], put 1s there and 0 elsewhere.
    cas = np.zeros((20, 1))
    cas[2:5, 0] = 1
    cas[15:18, 0] = 1
    fg = np.zeros(20)
    fg[5:15] = 1
    post = WSTALPostProcessor(oic_video_weight=0.0, nms=None)
    out = post(cas, np.array([0.5]), fg, 1.0)
    assert out['scores'][0] == pytest.approx(-1.0, abs=1e-12)
    cas[1, 0] = 5  # outside a margin of 3: no effect
    out = post(cas, np.array([0.5]), fg, 1.0)
    assert out['scores'][0] == pytest.approx(-1.0, abs=1e-12)


def test_class_kept_by_threshold_or_argmax_fallback():
    fg = _curve([0, 0, 1, 1, 1])
    cas = np.full((10, 3), .5)
    post = WSTALPostProcessor(nms=None)
    out = post(cas, np.array([0.3, 0.25, 0.05]), fg, 1.0)
    assert sorted(out['labels'].tolist()) == [0, 1]
    out = post(cas, np.array([0.1, 0.15, 0.05]), fg, 1.0)
    np.testing.assert_array_equal(out['labels'], [1])
    out = post(cas, np.array([0.1, 0.2, 0.05]), fg, 1.0)  # >= keeps 0.2
    np.testing.assert_array_equal(out['labels'], [1])


def _nested_case():
    # thresholds 0.3 / 0.8 give A = [1, 7) and B = [2, 6), IoU 4/6.
    # A: len 6, margin 2 -> left [0, 1), right [7, 9), all zeros -> outer 0
    #    inner = (0.3 + 4 + 0.3) / 6 -> score 4.6/6 + 0.2 * 0.5
    # B: len 4, margin 1 -> outer mean(0.3, 0.3) = 0.3, inner 1
    #    -> score 0.7 + 0.1 = 0.8
    fg = _curve([0, .5, .95, .95, .95, .95, .5])
    cas = _curve([0, .3, 1, 1, 1, 1, .3])[:, None]
    return cas, np.array([0.5]), fg, 4.6 / 6 + 0.1, 0.8


def test_hard_nms_removes_overlapping_lower_box():
    cas, vs, fg, score_a, _ = _nested_case()
    post = WSTALPostProcessor(fg_thresholds=[0.3, 0.8], nms='hard')
    out = post(cas, vs, fg, 1.0)
    np.testing.assert_array_equal(out['segments'], [[1., 7.]])
    assert out['scores'][0] == pytest.approx(score_a, abs=1e-12)


def test_hard_nms_keeps_iou_equal_to_threshold():
    # A = [1, 7), B = [3, 6): IoU 3/6 = 0.5 is not > 0.5, both kept.
    fg = _curve([0, .5, .5, .95, .95, .95, .5])
    out = WSTALPostProcessor(fg_thresholds=[0.3, 0.8], nms='hard')(
        np.full((10, 1), .5), np.array([.5]), fg, 1.0)
    assert len(out['scores']) == 2


def test_soft_nms_decays_by_gaussian_of_iou():
    cas, vs, fg, score_a, score_b = _nested_case()
    post = WSTALPostProcessor(fg_thresholds=[0.3, 0.8], nms='soft',
                              soft_nms_sigma=0.3)
    out = post(cas, vs, fg, 1.0)
    np.testing.assert_array_equal(out['segments'], [[1., 7.], [2., 6.]])
    expected_b = score_b * math.exp(-(4 / 6)**2 / 0.3)
    np.testing.assert_allclose(out['scores'], [score_a, expected_b],
                               rtol=0, atol=1e-12)
    # Without NMS both keep their raw scores.
    out = WSTALPostProcessor(fg_thresholds=[0.3, 0.8], nms=None)(
        cas, vs, fg, 1.0)
    np.testing.assert_allclose(out['scores'], [score_a, score_b], atol=1e-12)


def test_deduplicate_changes_only_soft_nms():
    # The run [2, 4) is found at every threshold; without dedup soft-NMS keeps
    # 9 decayed copies at score * exp(-1 / sigma) ** k, k = 1..9.
    fg = _curve([0, 0, .95, .95])
    cas = np.full((10, 1), .5)
    cas[2:4] = 1
    vs = np.array([0.5])
    dup = WSTALPostProcessor(deduplicate=False)(cas, vs, fg, 1.0)
    one = WSTALPostProcessor(deduplicate=True)(cas, vs, fg, 1.0)
    assert len(one['scores']) == 1 and len(dup['scores']) == 10
    decay = math.exp(-1 / 0.3)
    np.testing.assert_allclose(dup['scores'],
                               one['scores'][0] * decay**np.arange(10),
                               rtol=1e-12)
    # Hard NMS suppresses the copies (IoU 1): same result either way.
    a = WSTALPostProcessor(nms='hard', deduplicate=False)(cas, vs, fg, 1.0)
    b = WSTALPostProcessor(nms='hard', deduplicate=True)(cas, vs, fg, 1.0)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])


def test_max_per_video_keeps_top_scores():
    rng = np.random.default_rng(3)
    cas = rng.random((60, 4))
    fg = rng.random(60)
    vs = np.array([0.9, 0.5, 0.3, 0.1])
    full = WSTALPostProcessor(max_per_video=None)(cas, vs, fg, 1.0)
    capped = WSTALPostProcessor(max_per_video=3)(cas, vs, fg, 1.0)
    assert len(full['scores']) > 3 and len(capped['scores']) == 3
    assert np.all(np.diff(full['scores']) <= 0)
    for key in full:
        np.testing.assert_array_equal(capped[key], full[key][:3])


def test_duration_clipping_and_runs_past_the_end():
    fg = _curve([0, 0, 0, 0, 0, 0, 1, 1, 1, 1])  # run [6, 10)
    cas = np.full((10, 1), .5)
    post = WSTALPostProcessor()
    out = post(cas, np.array([.5]), fg, 0.5, duration=4.2)
    np.testing.assert_array_equal(out['segments'], [[3.0, 4.2]])
    out = post(cas, np.array([.5]), fg, 0.5, duration=3.0)  # starts at end
    assert out['segments'].shape == (0, 2)


@pytest.mark.parametrize('fg', [np.zeros(10), np.full(10, 0.1)])
def test_empty_result_shapes(fg):
    out = WSTALPostProcessor()(np.full((10, 3), .5), np.array([.5, .1, .1]),
                               fg, 0.64)
    assert out['segments'].shape == (0, 2)
    assert out['labels'].shape == (0, ) and out['labels'].dtype == np.int64
    assert out['scores'].shape == (0, )
    out = WSTALPostProcessor()(np.zeros((0, 3)), np.zeros(3), np.zeros(0), 1.)
    assert out['segments'].shape == (0, 2)


def test_score_threshold_filters_final_scores():
    cas, vs, fg, score_a, score_b = _nested_case()
    post = WSTALPostProcessor(fg_thresholds=[0.3, 0.8], score_threshold=0.5)
    out = post(cas, vs, fg, 1.0)  # B decays to ~0.18 and is dropped
    np.testing.assert_array_equal(out['segments'], [[1., 7.]])


def _smooth(x, width):
    kernel = np.ones(width) / width
    return np.apply_along_axis(np.convolve, 0, x, kernel, 'same')


OPTION_SETS = [
    dict(),
    dict(nms='hard'),
    dict(nms=None, max_per_video=None),
    dict(deduplicate=False),
    dict(deduplicate=False, nms='hard', max_per_video=5),
    dict(score_threshold=0.0),
    dict(score_threshold=0.15, nms='soft'),
    dict(score_threshold=-0.1),
    dict(min_length=3, class_threshold=0.0, max_per_video=20),
]


@pytest.mark.parametrize('options', OPTION_SETS)
def test_matches_loop_reference_on_random_inputs(options):
    reference = reference_postprocess
    rng = np.random.default_rng(0)
    post = WSTALPostProcessor(**options)
    for trial in range(12):
        length = int(rng.integers(1, 200))
        cas = _smooth(rng.random((length, 5)), 5)
        fg = _smooth(rng.random(length), int(rng.integers(1, 8)))
        vs = rng.random(5) * 0.5
        duration = length * 0.64 * rng.uniform(0.8, 1.1) \
            if trial % 2 else None
        got = post(cas, vs, fg, 0.64, duration)
        want = reference(cas, vs, fg, 0.64, duration, **options)
        np.testing.assert_array_equal(got['segments'], want['segments'])
        np.testing.assert_array_equal(got['labels'], want['labels'])
        np.testing.assert_allclose(
            got['scores'], want['scores'], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize('nms', ['soft', 'hard'])
def test_per_pick_rows_match_precomputed_table(nms):
    # Long videos skip the N x N table; both paths must agree.
    rng = np.random.default_rng(1)
    cas = _smooth(rng.random((300, 3)), 5)
    fg = _smooth(rng.random(300), 3)
    vs = np.array([0.5, 0.3, 0.1])
    table = WSTALPostProcessor(nms=nms, max_per_video=None)
    rows = WSTALPostProcessor(nms=nms, max_per_video=None)
    rows._MAX_PAIRWISE = 0
    a, b = table(cas, vs, fg, 1.0), rows(cas, vs, fg, 1.0)
    for key in a:
        np.testing.assert_allclose(a[key], b[key], rtol=1e-12)


def test_early_stop_at_cap_is_exact(monkeypatch):
    # Enough candidates that the cap stops the NMS loop early.
    rng = np.random.default_rng(2)
    cas = _smooth(rng.random((400, 2)), 3)
    fg = _smooth(rng.random(400), 3)
    vs = np.array([0.5, 0.4])
    calls = []
    original = WSTALPostProcessor._cap_reached

    def spy(picked, masked, cap):
        calls.append(original(picked, masked, cap))
        return calls[-1]

    monkeypatch.setattr(WSTALPostProcessor, '_cap_reached',
                        staticmethod(spy))
    full = WSTALPostProcessor(max_per_video=None)(cas, vs, fg, 1.0)
    capped = WSTALPostProcessor(max_per_video=10)(cas, vs, fg, 1.0)
    assert any(calls)
    for key in full:
        np.testing.assert_array_equal(capped[key], full[key][:10])
