"""ModelDatasetCheckHook: class count and feature widths against the model."""
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from mmtrpn.datasets import WSTALFeatureDataset
from mmtrpn.engine.hooks import ModelDatasetCheckHook


def _root(tmp_path, widths=(4, 3), classes=('a', 'b', 'c')):
    database = {
        f'v{i}': dict(subset='test', duration=5.0,
                      annotations=[dict(label='a', segment=[1.0, 2.0])])
        for i in range(2)
    }
    (tmp_path / 'ann.json').write_text(
        json.dumps(dict(classes=list(classes), database=database)))
    for modality, width in zip(('rgb', 'flow'), widths):
        folder = tmp_path / 'features' / modality
        folder.mkdir(parents=True)
        for name in database:
            np.save(folder / f'{name}.npy', np.zeros((6, width), np.float32))
    return WSTALFeatureDataset(
        ann_file='ann.json', data_root=str(tmp_path), subset='test')


def _runner(dataset, num_classes=3, feature_dims=(4, 3)):
    model = torch.nn.Module()
    model.num_classes, model.feature_dims = num_classes, feature_dims
    loader = SimpleNamespace(dataset=dataset)
    return SimpleNamespace(model=model, train_dataloader=loader,
                           val_dataloader=loader, test_dataloader=loader)


def test_matching_dataset_passes(tmp_path):
    hook = ModelDatasetCheckHook()
    runner = _runner(_root(tmp_path))
    hook.before_train(runner)
    hook.before_val(runner)
    hook.before_test(runner)


def test_class_count_mismatch_names_both_numbers(tmp_path):
    runner = _runner(_root(tmp_path), num_classes=20)
    with pytest.raises(ValueError, match=r'3 classes.*num_classes=20'):
        ModelDatasetCheckHook().before_train(runner)


def test_feature_width_mismatch_names_the_files(tmp_path):
    runner = _runner(_root(tmp_path, widths=(4, 5)))
    with pytest.raises(ValueError) as info:
        ModelDatasetCheckHook().before_test(runner)
    message = str(info.value)
    assert '2 feature file(s)' in message  # flow of v0 and v1
    assert 'v0.npy (flow, width 5)' in message
    assert 'feature_dims=(4, 3)' in message


def test_wrapped_model_is_unwrapped(tmp_path):
    runner = _runner(_root(tmp_path), num_classes=2)
    runner.model = SimpleNamespace(module=runner.model)
    with pytest.raises(ValueError, match='num_classes=2'):
        ModelDatasetCheckHook().before_val(runner)


def test_listed_in_default_runtime():
    from mmengine.config import Config
    cfg = Config.fromfile(str(Path(__file__).resolve().parents[2] /
                              'configs' / '_base_' / 'default_runtime.py'))
    assert dict(type='ModelDatasetCheckHook') in cfg.custom_hooks


def test_zero_snippet_and_npz_files_do_not_crash_the_check(tmp_path):
    # Issue 19 case 13: a bare ZeroDivisionError and AttributeError
    # ('NpzFile') from the duration pre-check; the loader names the file.
    from mmtrpn.engine.hooks.model_dataset_check_hook import (
        duration_mismatches, warn_duration_mismatches)
    from mmtrpn.utils.fileio import npy_shape
    dataset = _root(tmp_path)
    rgb = tmp_path / 'features' / 'rgb'
    np.save(rgb / 'v0.npy', np.zeros((0, 4), np.float32))
    with open(rgb / 'v1.npy', 'wb') as f:
        np.savez(f, a=np.zeros((6, 4)))
    assert npy_shape(str(rgb / 'v1.npy')) is None
    assert duration_mismatches(dataset) == []
    warn_duration_mismatches(dataset, 'test')
    ModelDatasetCheckHook().before_test(_runner(dataset))
    from mmtrpn.datasets.transforms.loading import LoadSnippetFeatures
    info = dataset.get_data_info(0)
    with pytest.raises(ValueError, match=r'video v0 in .*v0\.npy have zero'):
        LoadSnippetFeatures()(dict(info))
    with pytest.raises(ValueError, match=r'v1\.npy is not a \.npy file'):
        LoadSnippetFeatures()(dict(dataset.get_data_info(1)))


def test_training_set_without_any_label_stops(tmp_path):
    # Issue 19 case 10: every "annotations" emptied trained to mAP nan.
    dataset = _root(tmp_path)
    ann = json.loads((tmp_path / 'ann.json').read_text())
    for video in ann['database'].values():
        video['annotations'] = []
    (tmp_path / 'ann.json').write_text(json.dumps(ann))
    empty = WSTALFeatureDataset(ann_file='ann.json', data_root=str(tmp_path),
                                subset='test')
    with pytest.raises(ValueError, match=r'None of the 2 videos of the '
                       r'training dataset \(.*ann\.json.*has a label'):
        ModelDatasetCheckHook().before_train(_runner(empty))
    ModelDatasetCheckHook().before_test(_runner(empty))  # testing: fine
    ModelDatasetCheckHook().before_train(_runner(dataset))
