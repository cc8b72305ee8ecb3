"""Engine hooks that refuse silent wrong inputs (hand-made runners)."""
import re
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


def _ckpt(classes):
    return dict(state_dict={}, meta=dict(dataset_meta=dict(classes=classes)))


def test_checkpoint_classes_in_another_order_are_refused():
    from mmtrpn.engine.hooks.checkpoint_check_hook import \
        check_checkpoint_classes
    with pytest.raises(ValueError) as info:
        check_checkpoint_classes(_ckpt(('a', 'b', 'c')), ['a', 'c', 'b'],
                                 'x.pth', 'the test dataset (ann.json)')
    message = str(info.value)
    assert "['a', 'b', 'c']" in message and "['a', 'c', 'b']" in message
    assert 'x.pth' in message and 'ann.json' in message
    assert "another order (first difference at index 1: 'b' vs 'c')" in \
        message


@pytest.mark.parametrize('ours, what', [
    (['a', 'b'], '3 classes vs 2'),
    (['a', 'b', 'z'], "only in the checkpoint: ['c']"),
])
def test_checkpoint_classes_other_count_or_names_are_refused(ours, what):
    from mmtrpn.engine.hooks.checkpoint_check_hook import \
        check_checkpoint_classes
    with pytest.raises(ValueError, match=re.escape(what)):
        check_checkpoint_classes(_ckpt(['a', 'b', 'c']), ours, 'x.pth', 'd')


def test_checkpoint_classes_equal_or_unknown_pass():
    from mmtrpn.engine.hooks.checkpoint_check_hook import \
        check_checkpoint_classes
    check_checkpoint_classes(_ckpt(('a', 'b')), ['a', 'b'], 'x.pth', 'd')
    check_checkpoint_classes(dict(meta={}), ['a', 'b'], 'x.pth', 'd')
