import pytest

from mmtrpn.models.utils import check_choice, merge_defaults


def test_check_choice_names_the_key_and_a_renamed_value():
    check_choice('model.x', 'a', ('a', 'b'))
    with pytest.raises(ValueError, match=r"model.x must be one of \('a', "
                       r"'b'\), got 'c'"):
        check_choice('model.x', 'c', ('a', 'b'))
    with pytest.raises(ValueError, match="'old' is now 'a'"):
        check_choice('model.x', 'old', ('a', 'b'), dict(old='a'))


def test_merge_defaults_keeps_unset_keys_and_refuses_typos():
    defaults = dict(post=dict(type='P'), ratio=8)
    merged = merge_defaults('model.test_cfg', defaults, dict(ratio=4))
    assert merged == dict(post=dict(type='P'), ratio=4)
    merged['post']['type'] = 'Q'  # a copy: the defaults stay
    assert defaults['post']['type'] == 'P'
    assert merge_defaults('model.test_cfg', defaults, None) == defaults
    with pytest.raises(KeyError, match=r"model.test_cfg keys \['ratoi'\]"):
        merge_defaults('model.test_cfg', defaults, dict(ratoi=4))
