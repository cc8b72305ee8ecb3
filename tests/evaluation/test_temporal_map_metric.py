"""TemporalMAPMetric: process/compute_metrics, dedup, dump, errors."""
import json

import numpy as np
import pytest
import torch
from mmengine.structures import BaseDataElement

from mmtrpn.evaluation import TemporalMAPMetric
from mmtrpn.registry import METRICS
from mmtrpn.utils import register_all_modules

CLASSES = ['Jump', 'Throw']


def _sample(video, preds, gts, amb=()):
    """preds: [(s, e, label, score)], gts: [(s, e, label)]."""
    preds = np.asarray(preds, dtype=np.float64).reshape(-1, 4)
    gts = np.asarray(gts, dtype=np.float64).reshape(-1, 3)
    sample = BaseDataElement(
        metainfo=dict(video_name=video, duration=100.0))
    sample.pred_segments = torch.tensor(preds[:, :2], dtype=torch.float32)
    sample.pred_labels = torch.tensor(preds[:, 2], dtype=torch.int64)
    sample.pred_scores = torch.tensor(preds[:, 3], dtype=torch.float32)
    sample.gt_segments = torch.tensor(gts[:, :2], dtype=torch.float32)
    sample.gt_labels = torch.tensor(gts[:, 2], dtype=torch.int64)
    sample.ambiguous_segments = torch.tensor(
        np.asarray(amb, dtype=np.float32).reshape(-1, 2))
    return sample.to_dict()  # what the Evaluator hands to process()


def _samples():
    # v1: Jump found (TP), a false Jump; v2: Throw found; Jump gt in v2 missed
    return [
        _sample('v1', [(0, 10, 0, .9), (40, 50, 0, .8)], [(0, 10, 0)],
                amb=[(45, 47)]),
        _sample('v2', [(20, 30, 1, .7)], [(20, 30, 1), (60, 70, 0)]),
    ]


def _metric(**kw):
    metric = TemporalMAPMetric(**kw)
    metric.dataset_meta = dict(classes=CLASSES)
    return metric


def test_registered_and_prefix():
    register_all_modules()
    metric = METRICS.build(dict(type='TemporalMAPMetric'))
    assert isinstance(metric, TemporalMAPMetric)
    assert metric.prefix == 'wstal'


def test_compute_metrics_percent_and_keys():
    metric = _metric()
    metric.process(None, _samples())
    out = metric.compute_metrics(metric.results)
    # Jump: tp 1,0 with 2 gt -> AP .5; Throw: AP 1 -> mAP 75 %.
    assert out['mAP@0.10'] == pytest.approx(75.0)
    assert out['mAP_AVG'] == pytest.approx(75.0)
    assert out['mAP_AVG[0.1:0.5]'] == pytest.approx(75.0)
    assert 'mAP_AVG[0.3:0.7]' in out and 'mAP@0.70' in out


def test_drop_ambiguous():
    # A false Jump (score .95) ranked above the true one; it touches an
    # ambiguous segment of its video. Throw has no gt, so mAP = Jump AP.
    sample = _sample('v1', [(40, 50, 0, .95), (0, 10, 0, .9)], [(0, 10, 0)],
                     amb=[(45, 47)])
    kept = _metric(tiou_thresholds=[0.5])
    kept.process(None, [sample])
    # tp 0,1 -> prec 0,.5, rec 0,1 -> AP .5
    assert kept.compute_metrics(kept.results)['mAP@0.50'] == \
        pytest.approx(50.0)
    dropped = _metric(tiou_thresholds=[0.5], drop_ambiguous=True)
    dropped.process(None, [sample])
    assert dropped.compute_metrics(dropped.results)['mAP@0.50'] == \
        pytest.approx(100.0)


def test_blocked_videos():
    metric = _metric(tiou_thresholds=[0.5], blocked_videos=['v2'])
    metric.process(None, _samples())
    # Only v1 left: Jump tp 1,0 with 1 gt -> AP 1; Throw has no gt.
    assert metric.compute_metrics(metric.results)['mAP@0.50'] == \
        pytest.approx(100.0)


def test_duplicate_videos_counted_once():
    once = _metric()
    once.process(None, _samples())
    twice = _metric()
    twice.process(None, _samples())
    twice.process(None, _samples()[:1])  # sampler padding repeats v1
    assert twice.compute_metrics(twice.results) == \
        once.compute_metrics(once.results)


def test_evaluate_uses_prefix():
    metric = _metric(tiou_thresholds=np.array([0.3, 0.5]))
    metric.process(None, _samples())
    out = metric.evaluate(2)
    assert set(out) == {'wstal/mAP@0.30', 'wstal/mAP@0.50', 'wstal/mAP_AVG'}


def test_dump_results(tmp_path):
    path = tmp_path / 'sub' / 'results.json'
    metric = _metric(dump_results=str(path))
    metric.process(None, _samples())
    metric.compute_metrics(metric.results)
    data = json.loads(path.read_text())
    assert set(data) == {'version', 'results', 'external_data'}
    assert set(data['results']) == {'v1', 'v2'}
    det = data['results']['v2'][0]
    assert det['label'] == 'Throw' and det['segment'] == [20.0, 30.0]
    assert det['score'] == pytest.approx(0.7)
    assert [p.name for p in path.parent.iterdir()] == ['results.json']


def test_prediction_without_ground_truth_raises():
    metric = _metric()
    sample = _samples()[0]
    del sample['gt_segments'], sample['gt_labels']
    metric.process(None, [sample])
    with pytest.raises(ValueError, match='v1'):
        metric.compute_metrics(metric.results)


def test_needs_classes():
    metric = TemporalMAPMetric()
    metric.process(None, _samples())
    with pytest.raises(ValueError, match='classes'):
        metric.compute_metrics(metric.results)


@pytest.mark.parametrize('bad', [[0.0], [-0.1, 0.5], [0.5, 1.01],
                                 [float('nan')], [0.3, float('inf')], []])
def test_tiou_thresholds_out_of_range_refused_at_build(bad):
    from mmtrpn.registry import METRICS
    with pytest.raises(ValueError, match='tiou_thresholds'):
        METRICS.build(dict(type='TemporalMAPMetric', tiou_thresholds=bad))


@pytest.mark.parametrize('bad', [[-0.1], [1.5], [float('nan')]])
def test_temporal_map_refuses_thresholds_out_of_range(bad):
    # 0 stays allowed in the function (tests compare it with reference code)
    from mmtrpn.evaluation.functional import temporal_map
    with pytest.raises(ValueError, match='0 <= t <= 1'):
        temporal_map(['v'], [[0, 1]], [0], [1.0], ['v'], [[0, 1]], [0], 1,
                     bad)
