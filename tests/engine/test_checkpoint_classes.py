"""The checkpoint's class list against a dataset's (hand-made inputs)."""
import re

import pytest


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
