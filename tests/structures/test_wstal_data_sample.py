"""WSTALDataSample: typed fields, instance views and to_detections."""
import numpy as np
import torch
from mmengine.structures import BaseDataElement, InstanceData

from mmtrpn.structures.wstal_data_sample import WSTALDataSample, to_detections


def _sample():
    s = WSTALDataSample(metainfo=dict(video_name='v', duration=8.0))
    s.gt_segments = [1.0, 2.0, 3.0, 5.0]  # any layout -> (N, 2)
    s.gt_labels = np.array([2.0, 0.0])
    s.pred_segments = np.array([[0.5, 1.5]], np.float64)
    s.pred_labels = [1]
    s.pred_scores = [0.75]
    s.fg_curve = torch.ones(4, dtype=torch.float64)
    return s


def test_fields_get_the_contract_dtype_and_shape():
    s = _sample()
    assert s.gt_segments.shape == (2, 2)
    assert s.gt_segments.dtype == torch.float32
    assert s.gt_labels.dtype == torch.int64
    assert s.gt_labels.tolist() == [2, 0]
    assert s.pred_segments.dtype == torch.float32
    # Curves keep the model's dtype.
    assert s.fg_curve.dtype == torch.float64
    assert isinstance(s, BaseDataElement)


def test_names_in_dict_clone_and_membership():
    s = _sample()
    assert 'gt_segments' in s and '_gt_segments' not in s.keys()
    d = s.to_dict()
    assert {'video_name', 'gt_segments', 'pred_scores'} <= set(d)
    assert not any(k.startswith('_') for k in d)
    c = s.clone()
    assert isinstance(c, WSTALDataSample)
    assert torch.equal(c.gt_segments, s.gt_segments)
    del c.pred_scores
    assert 'pred_scores' not in c and 'pred_scores' in s


def test_instance_views():
    s = _sample()
    gt, pred = s.gt_instances, s.pred_instances
    assert isinstance(gt, InstanceData) and len(gt) == 2
    assert gt.labels.tolist() == [2, 0]
    assert pred.scores.tolist() == [0.75]


def test_to_detections_same_for_sample_dict_and_plain_element():
    s = _sample()
    plain = BaseDataElement(metainfo=dict(video_name='v', duration=8.0))
    for key in ('gt_segments', 'gt_labels', 'pred_segments', 'pred_labels',
                'pred_scores', 'fg_curve'):
        plain.set_data({key: getattr(s, key)})
    outs = [to_detections(x) for x in (s, s.to_dict(), plain)]
    outs.append(s.to_detections())
    for out in outs:
        assert out['video_name'] == 'v' and out['duration'] == 8.0
        assert out['pred_segments'].dtype == np.float64
        assert out['pred_segments'].tolist() == [[0.5, 1.5]]
        assert out['pred_labels'].dtype == np.int64
        assert out['pred_scores'].tolist() == [0.75]
        assert out['gt_segments'].shape == (2, 2)
        assert out['fg_curve'].dtype == np.float64
        assert 'ambiguous_segments' not in out
