"""feature_dims stated once in the config reach the loader via the dataset."""
import json

import numpy as np
import pytest

from mmtrpn.datasets import WSTALFeatureDataset
from mmtrpn.datasets.transforms import LoadSnippetFeatures


def _dataset(tmp_path, feature_dims, width=4):
    (tmp_path / 'ann.json').write_text(json.dumps(dict(
        classes=['a'],
        database={'v': dict(subset='test', duration=4.0, annotations=[])})))
    for modality in ('rgb', 'flow'):
        folder = tmp_path / 'features' / modality
        folder.mkdir(parents=True)
        np.save(folder / 'v.npy', np.zeros((5, width), np.float32))
    return WSTALFeatureDataset(ann_file='ann.json', data_root=str(tmp_path),
                               subset='test', feature_dims=feature_dims)


def test_data_info_carries_the_widths_and_the_loader_checks_them(tmp_path):
    info = _dataset(tmp_path, (4, 6)).get_data_info(0)
    assert info['feature_dims'] == (4, 6)
    with pytest.raises(ValueError, match=r'flow features of video v in '
                       r'\S+v\.npy have width 4, expected flow_dim=6'):
        LoadSnippetFeatures()(info)
    # An explicit width of the transform wins (it is what the user wrote).
    out = LoadSnippetFeatures(flow_dim=4)(dict(info))
    assert out['flow'].shape == (5, 4)


def test_without_widths_nothing_is_checked(tmp_path):
    info = _dataset(tmp_path, None).get_data_info(0)
    assert 'feature_dims' not in info
    assert LoadSnippetFeatures()(info)['rgb'].shape == (5, 4)


def test_widths_must_be_a_pair(tmp_path):
    with pytest.raises(ValueError, match='feature_dims'):
        _dataset(tmp_path, (4, ))
