"""Engine hooks that refuse silent wrong inputs (hand-made runners)."""
from types import SimpleNamespace

import pytest
from mmengine.structures import BaseDataElement

from mmtrpn.engine.hooks.feature_dims_check_hook import FeatureDimsCheckHook


def _sample(name, dims):
    sample = BaseDataElement()
    sample.set_metainfo(dict(video_name=name, feature_dims=dims))
    return sample


def _runner(feature_dims):
    model = SimpleNamespace(feature_dims=feature_dims)
    return SimpleNamespace(model=SimpleNamespace(module=model))


def test_feature_split_other_than_the_model_is_refused():
    # 16 + 16 columns, the model splits them 8 | 24: same total.
    hook = FeatureDimsCheckHook()
    batch = dict(inputs=[], data_samples=[_sample('v1', (16, 16)),
                                          _sample('v2', (16, 16))])
    with pytest.raises(ValueError) as info:
        hook.before_train_iter(_runner((8, 24)), 0, batch)
    message = str(info.value)
    assert 'Video v1' in message and '(16, 16)' in message
    assert '(8, 24)' in message and 'wrong place' in message
    for method in (hook.before_val_iter, hook.before_test_iter):
        with pytest.raises(ValueError, match='feature_dims'):
            method(_runner((8, 24)), 0, batch)


def test_matching_split_passes():
    hook = FeatureDimsCheckHook()
    batch = dict(inputs=[], data_samples=[_sample('v1', (16, 16))])
    hook.before_train_iter(_runner((16, 16)), 0, batch)
    hook.before_val_iter(_runner([16, 16]), 0, batch)
