import numpy as np
import pytest
import torch
from mmengine.registry import DefaultScope
from mmengine.structures import BaseDataElement

from mmtrpn.datasets import WSTALFeatureDataset
from mmtrpn.datasets.transforms import (LoadSnippetFeatures, PackWSTALInputs,
                                        SampleSnippets, uniform_bin_indices)


def results_for(tmp_path, rgb, flow, name='vid'):
    rp, fp = tmp_path / f'{name}_rgb.npy', tmp_path / f'{name}_flow.npy'
    np.save(rp, rgb)
    np.save(fp, flow)
    return dict(video_name=name, rgb_path=str(rp), flow_path=str(fp))


def test_load_ok(tmp_path):
    r = results_for(tmp_path, np.ones((5, 3), np.float64),
                    np.zeros((5, 2), np.float16))
    out = LoadSnippetFeatures(rgb_dim=3, flow_dim=2)(r)
    assert out['rgb'].dtype == np.float32 and out['flow'].dtype == np.float32
    assert out['rgb'].shape == (5, 3) and out['flow'].shape == (5, 2)
    assert out['num_snippets'] == 5


@pytest.mark.parametrize(
    'rgb,flow,kw,match',
    [
        (np.ones(5), np.ones((5, 2)), {}, '2-D'),
        (np.ones((5, 3)), np.ones((5, 2)), dict(rgb_dim=4), 'width 3'),
        (np.ones((5, 3)), np.ones((5, 2)), dict(flow_dim=4), 'width 2'),
        (np.ones((5, 3)), np.ones((4, 2)), {}, 'lengths differ'),
        (np.ones((0, 3)), np.ones((0, 2)), {}, 'zero snippets'),
        (np.full((5, 3), np.nan), np.ones((5, 2)), {}, 'NaN'),
        (np.ones((5, 3)), np.array([[np.inf, 0]] * 5), {}, 'NaN or Inf'),
    ])
def test_load_errors(tmp_path, rgb, flow, kw, match):
    r = results_for(tmp_path, rgb, flow, name='badvid')
    with pytest.raises(ValueError, match=match) as e:
        LoadSnippetFeatures(**kw)(r)
    assert 'badvid' in str(e.value) and '.npy' in str(e.value)


def test_load_missing_and_pickled(tmp_path):
    r = dict(video_name='gone', rgb_path=str(tmp_path / 'gone.npy'),
             flow_path=str(tmp_path / 'gone.npy'))
    with pytest.raises(FileNotFoundError, match='gone'):
        LoadSnippetFeatures()(r)
    obj = np.empty(2, dtype=object)
    obj[0], obj[1] = np.ones((2, 2)), np.ones((3, 2))
    np.save(tmp_path / 'obj.npy', obj, allow_pickle=True)
    r = dict(video_name='pick', rgb_path=str(tmp_path / 'obj.npy'),
             flow_path=str(tmp_path / 'obj.npy'))
    with pytest.raises(ValueError, match='pick.*obj.npy'):
        LoadSnippetFeatures()(r)


def test_uniform_bins_random():
    np.random.seed(0)
    T, n = 1000, 320
    for _ in range(5):
        idx = uniform_bin_indices(T, n, True)
        assert idx.dtype == np.int64 and idx.shape == (n, )
        assert np.all(np.diff(idx) >= 0)
        edges = np.arange(n + 1) * T / n
        # Each index lies in (the snippet overlapping) its own bin.
        assert np.all(idx >= np.floor(edges[:-1]))
        assert np.all(idx < np.ceil(edges[1:]))
    a = uniform_bin_indices(T, n, True)
    b = uniform_bin_indices(T, n, True)
    assert not np.array_equal(a, b)
    np.random.seed(3)
    a = uniform_bin_indices(T, n, True)
    np.random.seed(3)
    np.testing.assert_array_equal(a, uniform_bin_indices(T, n, True))


def test_uniform_bins_deterministic_and_short():
    np.testing.assert_array_equal(uniform_bin_indices(8, 4, False),
                                  [1, 3, 5, 7])
    assert np.array_equal(uniform_bin_indices(10, 4, False),
                          uniform_bin_indices(10, 4, False))
    idx = uniform_bin_indices(3, 8, True)
    assert idx.shape == (8, ) and np.all(np.diff(idx) >= 0)
    assert set(idx.tolist()) == {0, 1, 2}
    np.testing.assert_array_equal(uniform_bin_indices(1, 4, True), 0)
    with pytest.raises(ValueError):
        uniform_bin_indices(0, 4, True)


def test_sample_snippets():
    rgb = np.arange(20, dtype=np.float32)[:, None].repeat(3, 1)
    flow = -rgb[:, :2]
    out = SampleSnippets(num_snippets=4, random=False)(
        dict(rgb=rgb, flow=flow, num_snippets=20))
    np.testing.assert_array_equal(out['snippet_indices'], [2, 7, 12, 17])
    np.testing.assert_array_equal(out['rgb'][:, 0], [2, 7, 12, 17])
    np.testing.assert_array_equal(out['flow'][:, 0], [-2, -7, -12, -17])
    assert out['num_snippets'] == 20


def test_pack():
    results = dict(
        video_name='v', duration=12.0, snippet_duration=0.64,
        num_snippets=7, rgb=np.ones((4, 3), np.float32),
        flow=np.zeros((4, 2), np.float32),
        label=np.array([0, 1], np.float32),
        gt_segments=np.array([[1, 2]], np.float32),
        gt_labels=np.array([1], np.int64),
        ambiguous_segments=np.zeros((0, 2), np.float32),
        snippet_indices=np.array([0, 2, 4, 6]))
    out = PackWSTALInputs()(results)
    x, s = out['inputs'], out['data_samples']
    assert x.dtype == torch.float32 and x.shape == (4, 5)
    assert torch.all(x[:, :3] == 1) and torch.all(x[:, 3:] == 0)
    assert isinstance(s, BaseDataElement)
    assert s.video_name == 'v' and s.num_snippets == 7
    assert s.duration == 12.0 and s.snippet_duration == 0.64
    assert s.feature_dims == (3, 2)
    assert s.gt_label.dtype == torch.float32 and s.gt_label.shape == (2, )
    assert s.gt_segments.shape == (1, 2) and s.gt_segments.dtype == \
        torch.float32
    assert s.gt_labels.dtype == torch.int64
    assert s.ambiguous_segments.shape == (0, 2)
    assert s.snippet_indices.dtype == torch.int64
    assert 'video_name' in s.metainfo_keys()
    assert 'gt_label' in s.keys()


def test_full_pipeline_from_config(tmp_path):
    from mmtrpn.datasets.synthetic import SyntheticConfig, generate_synthetic
    generate_synthetic(
        str(tmp_path), SyntheticConfig(num_train=3, num_test=2, dim=8,
                                       num_classes=4))
    pipeline = [
        dict(type='LoadSnippetFeatures', rgb_dim=8, flow_dim=8),
        dict(type='SampleSnippets', num_snippets=32),
        dict(type='PackWSTALInputs'),
    ]
    with DefaultScope.overwrite_default_scope('mmtrpn'):
        ds = WSTALFeatureDataset(
            'annotations.json', data_root=str(tmp_path), subset='validation',
            pipeline=pipeline)
        item = ds[0]
    assert item['inputs'].shape == (32, 16)
    assert item['data_samples'].gt_label.shape == (4, )
    assert item['data_samples'].snippet_indices.shape == (32, )
