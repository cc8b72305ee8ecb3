"""The feature bank: loading, sampling as SampleSnippets, data samples."""
import numpy as np
import pytest
import torch
from scipy.stats import chisquare

from mmtrpn.datasets.feature_bank import (FeatureBank,
                                          WSTALFeatureBankDataset,
                                          bin_indices, enable_feature_bank,
                                          parse_bank_pipeline)
from mmtrpn.datasets.feature_bank_preprocessor import FeatureBankPreprocessor
from mmtrpn.datasets.transforms import (LoadSnippetFeatures, PackWSTALInputs,
                                        SampleSnippets, uniform_bin_indices)
from mmtrpn.datasets.wstal_dataset import WSTALFeatureDataset
from mmtrpn.utils.fileio import atomic_save_npy

PIPELINE = [
    dict(type='LoadSnippetFeatures'),
    dict(type='SampleSnippets', num_snippets=6),
    dict(type='PackWSTALInputs'),
]


@pytest.fixture
def data_root(tmp_path):
    """Three videos of 3, 7 and 12 snippets, RGB 2 + flow 3 columns whose
    values encode (video, snippet, column)."""
    import json
    db = {}
    for v, length in enumerate((3, 7, 12)):
        name = f'vid{v}'
        t = np.arange(length, dtype=np.float32)[:, None]
        atomic_save_npy(tmp_path / 'features/rgb' / f'{name}.npy',
                        100 * v + t + np.array([[0.1, 0.2]], np.float32))
        atomic_save_npy(tmp_path / 'features/flow' / f'{name}.npy',
                        100 * v + t + np.array([[0.3, 0.4, 0.5]], np.float32))
        db[name] = dict(subset='validation', duration=length * 0.64,
                        annotations=[dict(label='b' if v else 'a',
                                          segment=[0.0, 0.64])])
    with open(tmp_path / 'annotations.json', 'w') as f:
        json.dump(dict(classes=['a', 'b'], database=db), f)
    return str(tmp_path)


def bank_dataset(root, pipeline=PIPELINE):
    return WSTALFeatureBankDataset(ann_file='annotations.json',
                                   data_root=root, pipeline=pipeline)


def test_bin_indices_equal_numpy_for_the_same_offsets():
    rng = np.random.default_rng(0)
    for length in (1, 3, 5, 7, 128, 1000):
        for num in (1, 4, 7, 128):
            offsets = rng.random((3, num))
            ours = bin_indices(torch.full((3, ), length), torch.from_numpy(
                offsets)).numpy()
            for row in range(3):
                ref = np.clip(
                    np.floor(np.arange(num) * (length / num) + offsets[row] *
                             np.diff(np.arange(num + 1) * (length / num))
                             ).astype(np.int64), 0, length - 1)
                np.testing.assert_array_equal(ours[row], ref)


def test_bin_indices_match_uniform_bin_indices_draws():
    # the numpy sampler's own draws, replayed as offsets
    np.random.seed(3)
    offsets = np.random.random_sample(6)
    np.random.seed(3)
    ref = uniform_bin_indices(11, 6, random=True)
    ours = bin_indices(torch.tensor([11]), torch.from_numpy(offsets[None]))
    np.testing.assert_array_equal(ours[0].numpy(), ref)
    centres = bin_indices(torch.tensor([11]), torch.full((1, 6), 0.5))
    np.testing.assert_array_equal(centres[0].numpy(),
                                  uniform_bin_indices(11, 6, random=False))


def test_same_distribution_as_sample_snippets():
    """L = 5 snippets, K = 2 bins: edges 0, 2.5, 5. Bin 0 takes 0, 1, 2 with
    probabilities 0.4, 0.4, 0.2; bin 1 takes 2, 3, 4 with 0.2, 0.4, 0.4."""
    expected = {0: np.array([.4, .4, .2]), 1: np.array([.2, .4, .4])}
    draws = 20000
    gen = torch.Generator().manual_seed(0)
    bank = bin_indices(torch.full((draws, ), 5),
                       torch.rand((draws, 2), generator=gen,
                                  dtype=torch.float64)).numpy()
    np.random.seed(0)
    sampler = SampleSnippets(num_snippets=2)
    files = np.stack([
        sampler.transform(dict(rgb=np.zeros((5, 1)), flow=np.zeros(
            (5, 1))))['snippet_indices'] for _ in range(draws)
    ])
    for k, probs in expected.items():
        values = np.arange(3) + 2 * k
        for name, idx in (('bank', bank), ('file', files)):
            counts = np.array([(idx[:, k] == v).sum() for v in values])
            assert counts.sum() == draws, name
            p = chisquare(counts, probs * draws).pvalue
            assert p > 1e-3, (name, k, counts)


def test_bank_loads_every_video_packed(data_root):
    ds = bank_dataset(data_root)
    bank = ds.bank
    assert bank.lengths.tolist() == [3, 7, 12]
    assert bank.starts.tolist() == [0, 3, 10]
    assert bank.feature_dims == (2, 3)
    assert bank.features.shape == (22, 5)
    # video 1, snippet 4: 104 + (0.1, 0.2, 0.3, 0.4, 0.5)
    np.testing.assert_allclose(bank.features[7].numpy(),
                               [104.1, 104.2, 104.3, 104.4, 104.5],
                               rtol=1e-6)
    np.testing.assert_array_equal(bank.labels.numpy(),
                                  [[1, 0], [0, 1], [0, 1]])
    assert ds[2] == dict(bank_index=2)
    assert (ds.num_snippets, ds.random) == (6, True)


def test_bank_refuses_a_bad_file_naming_it(data_root):
    path = f'{data_root}/features/flow/vid1.npy'
    bad = np.zeros((7, 3), np.float32)
    bad[2, 1] = np.nan
    atomic_save_npy(path, bad)
    with pytest.raises(ValueError, match=r'flow features of video vid1 in '
                       r'.*vid1.npy contain NaN or Inf in 1 snippet'):
        bank_dataset(data_root)


def test_bank_refuses_other_pipelines():
    with pytest.raises(ValueError, match='feature bank replaces'):
        parse_bank_pipeline(PIPELINE[:1] + [dict(type='LoadPseudoSegments')]
                            + PIPELINE[1:])


def _attached(ds, seed=0, random=True):
    pre = FeatureBankPreprocessor()
    pre.attach(ds.bank, ds.num_snippets, random, seed)
    return pre


def test_preprocessor_batch_equals_the_file_pipeline(data_root):
    """Bin centres (random=False): both paths are deterministic, so the
    inputs and data samples must agree exactly."""
    ds = bank_dataset(data_root)
    pipeline = [LoadSnippetFeatures(),
                SampleSnippets(num_snippets=6, random=False),
                PackWSTALInputs()]
    files = WSTALFeatureDataset(ann_file='annotations.json',
                                data_root=data_root, pipeline=pipeline)
    out = _attached(ds, random=False)(dict(bank_index=[2, 0, 1]), True)
    for row, video in enumerate([2, 0, 1]):
        ref = files[video]
        torch.testing.assert_close(out['inputs'][row], ref['inputs'],
                                   rtol=0, atol=0)
        got, want = out['data_samples'][row], ref['data_samples']
        assert got.metainfo == want.metainfo
        for key in ('gt_label', 'gt_segments', 'gt_labels',
                    'ambiguous_segments', 'snippet_indices'):
            torch.testing.assert_close(getattr(got, key), getattr(want, key),
                                       rtol=0, atol=0)


def test_preprocessor_is_deterministic_per_seed(data_root):
    ds = bank_dataset(data_root)
    batch = dict(bank_index=[0, 1, 2, 1])
    a = _attached(ds, seed=5)(batch, True)['inputs']
    b = _attached(ds, seed=5)(batch, True)['inputs']
    c = _attached(ds, seed=6)(batch, True)['inputs']
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def test_preprocessor_state_round_trip(data_root):
    ds = bank_dataset(data_root)
    pre = _attached(ds, seed=1)
    batch = dict(bank_index=[2, 2])
    state = pre.rng_state()
    first = pre(batch, True)['inputs']
    pre(batch, True)
    pre.set_rng_state(state)
    assert torch.equal(pre(batch, True)['inputs'], first)


def test_preprocessor_passes_other_batches_through():
    pre = FeatureBankPreprocessor()
    x = torch.ones(2, 3)
    assert torch.equal(pre(dict(inputs=[x]), False)['inputs'][0], x)
    with pytest.raises(RuntimeError, match='FeatureBankHook'):
        pre(dict(bank_index=[0]), True)


def test_enable_feature_bank_edits_the_config():
    from mmengine.config import Config
    cfg = Config(dict(
        model=dict(type='DTRPLoc',
                   data_preprocessor=dict(type='BaseDataPreprocessor')),
        train_dataloader=dict(num_workers=2, persistent_workers=True,
                              dataset=dict(type='WSTALFeatureDataset',
                                           pipeline=PIPELINE)),
        custom_hooks=[dict(type='RandomStateHook')]))
    enable_feature_bank(cfg)
    assert cfg.train_dataloader.dataset.type == 'WSTALFeatureBankDataset'
    assert cfg.train_dataloader.num_workers == 0
    assert not cfg.train_dataloader.persistent_workers
    assert cfg.model.data_preprocessor.type == 'FeatureBankPreprocessor'
    assert [h['type'] for h in cfg.custom_hooks] == [
        'RandomStateHook', 'FeatureBankHook']
    enable_feature_bank(cfg)  # idempotent
    assert len(cfg.custom_hooks) == 2


def test_load_checks_widths_as_the_loader(data_root):
    ds = WSTALFeatureDataset(ann_file='annotations.json', data_root=data_root,
                             pipeline=[])
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    with pytest.raises(ValueError, match='width 3, expected flow_dim=4'):
        FeatureBank.load(infos, LoadSnippetFeatures(flow_dim=4))
