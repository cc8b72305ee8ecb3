"""Checks of model config values: one wording for every component."""
import copy
from typing import Mapping, Optional, Sequence

from mmtrpn.registry import MODELS


def check_choice(name: str, value, choices: Sequence,
                 renamed: Optional[Mapping] = None) -> None:
    """ValueError naming the config key unless ``value`` is in ``choices``;
    ``renamed`` maps former values to the ones that replace them."""
    if value in choices:
        return
    hint = ''
    if renamed and value in renamed:
        hint = f' ({value!r} is now {renamed[value]!r})'
    raise ValueError(f'{name} must be one of {tuple(choices)}, got '
                     f'{value!r}{hint}')


def merge_defaults(name: str, defaults: Mapping,
                   cfg: Optional[Mapping]) -> dict:
    """A copy of ``defaults`` updated by ``cfg``; a key ``defaults`` lacks is
    a KeyError (a typo would otherwise silently keep the default)."""
    cfg = dict(cfg or {})
    unknown = set(cfg) - set(defaults)
    if unknown:
        raise KeyError(f'unknown {name} keys {sorted(unknown)}; '
                       f'expected a subset of {sorted(defaults)}')
    return dict(copy.deepcopy(dict(defaults)), **cfg)


# CO2-Net's weights_init: Kaiming-uniform (fan in, a = 0), zero bias; shared
# by its neck and head
CO2_INIT = dict(type='Kaiming', layer=['Conv1d', 'Linear'], mode='fan_in',
                nonlinearity='leaky_relu', a=0, distribution='uniform',
                bias=0.)


def build_with_defaults(cfg: Mapping, **defaults):
    """Build a ``MODELS`` component from ``cfg``, filling the keys it does
    not set from ``defaults`` (e.g. widths the model knows)."""
    cfg = copy.deepcopy(dict(cfg))
    for key, value in defaults.items():
        cfg.setdefault(key, value)
    return MODELS.build(cfg)
