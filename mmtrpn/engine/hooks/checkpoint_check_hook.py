"""Refuse a checkpoint whose tensors do not fit the model."""
import re

import torch
from mmengine.hooks import Hook

from mmtrpn.registry import HOOKS
from .model_dataset_check_hook import dataset_classes


def checkpoint_mismatches(model_state, ckpt_state):
    """``(shape mismatches, number of shared keys)`` of two state dicts."""
    ckpt_state = {re.sub(r'^module\.', '', k): v
                  for k, v in ckpt_state.items()}
    bad, shared = [], 0
    for key, value in model_state.items():
        if key not in ckpt_state:
            continue
        shared += 1
        theirs = tuple(getattr(ckpt_state[key], 'shape', ()))
        if tuple(value.shape) != theirs:
            bad.append((key, theirs, tuple(value.shape)))
    return bad, shared


def _listing(keys, limit=8):
    more = f' (and {len(keys) - limit} more)' if len(keys) > limit else ''
    return ', '.join(keys[:limit]) + more


def check_checkpoint_state(model, checkpoint, source, strict=True):
    """Raise ValueError unless ``checkpoint`` fits ``model`` exactly.

    MMEngine loads non-strictly: parameters missing from the checkpoint or
    of another shape keep their random initialisation and the model is
    scored anyway. Refused here, naming ``source`` and the parameters: no
    shared key, a shape mismatch (another ``num_classes`` or
    ``feature_dims``), a model parameter the checkpoint lacks, a weight that
    is NaN or Inf. Without ``strict`` (``load_from`` to fine-tune) only the
    first and the last: parts of the model may come from elsewhere.
    """
    model = getattr(model, 'module', model)
    state = checkpoint.get('state_dict', checkpoint)
    state = {re.sub(r'^module\.', '', k): v for k, v in state.items()}
    model_state = model.state_dict()
    bad, shared = checkpoint_mismatches(model_state, state)
    if not shared:
        raise ValueError(
            f'Checkpoint {source} holds none of the parameters of '
            f'{type(model).__name__}: is it a checkpoint of this model?')
    if bad and strict:
        lines = '; '.join(f'{k}: checkpoint {list(c)} vs model {list(m)}'
                          for k, c, m in bad[:8])
        more = f' (and {len(bad) - 8} more)' if len(bad) > 8 else ''
        raise ValueError(
            f'Checkpoint {source} does not match the model built from '
            f'the config: {len(bad)} parameter shape(s) differ: '
            f'{lines}{more}. Was it trained with another num_classes or '
            'feature_dims? Use the config it was trained with.')
    missing = [k for k in model_state if k not in state]
    if missing and strict:
        raise ValueError(
            f'Checkpoint {source} is missing {len(missing)} of the '
            f'{len(model_state)} parameters of {type(model).__name__}: '
            f'{_listing(missing)}. They would keep their random '
            'initialisation; is it a checkpoint of another model version '
            'or a partial save?')
    not_finite = [
        k for k in model_state
        if k in state and torch.is_tensor(state[k])
        and state[k].is_floating_point()
        and not bool(torch.isfinite(state[k]).all())
    ]
    if not_finite:
        raise ValueError(
            f'Checkpoint {source} has weights that are not finite (NaN or '
            f'Inf) in {_listing(not_finite)}: the training diverged before '
            'it was saved; use an earlier checkpoint.')


def checkpoint_classes(checkpoint):
    """``meta.dataset_meta.classes`` of a checkpoint, or None."""
    meta = checkpoint.get('meta') or {}
    classes = (meta.get('dataset_meta') or {}).get('classes')
    return None if classes is None else [str(c) for c in classes]


def check_checkpoint_classes(checkpoint, classes, source, where):
    """Raise ValueError when the checkpoint's class list (names and order)
    differs from ``classes`` of ``where`` (a dataset or file).

    Equal counts pass the shape checks, but a reordered or renamed list
    scores every prediction under another class (mAP 3.87 -> 1.71 with the
    THUMOS list in another order).
    """
    theirs = checkpoint_classes(checkpoint)
    if theirs is None or classes is None:
        return
    ours = [str(c) for c in classes]
    if theirs == ours:
        return
    if len(theirs) != len(ours):
        what = f'{len(theirs)} classes vs {len(ours)}'
    elif sorted(theirs) == sorted(ours):
        first = next(i for i, (a, b) in enumerate(zip(theirs, ours))
                     if a != b)
        what = (f'the same names in another order (first difference at '
                f'index {first}: {theirs[first]!r} vs {ours[first]!r})')
    else:
        what = (f'other names (only in the checkpoint: '
                f'{sorted(set(theirs) - set(ours))[:5]}, only in '
                f'{where}: {sorted(set(ours) - set(theirs))[:5]})')
    raise ValueError(
        f'Checkpoint {source} was trained on the classes {theirs}, but '
        f'{where} has {ours}: {what}. Predictions would be scored under the '
        'wrong classes; use the class list (and order) the model was '
        'trained with, e.g. the dataset\'s classes=... argument.')


def _built_datasets(runner):
    """(phase, dataset) of the loops the Runner has built so far."""
    for phase in ('train', 'val', 'test'):
        loop = getattr(runner, f'_{phase}_loop', None)
        if loop is None or isinstance(loop, dict):
            continue
        dataset = getattr(getattr(loop, 'dataloader', None), 'dataset', None)
        if dataset is not None:
            yield phase, dataset


@HOOKS.register_module()
class CheckpointShapeCheckHook(Hook):
    """Fail clearly when a loaded checkpoint does not match the model.

    MMEngine loads with ``strict=False`` and only warns about size
    mismatches or missing parameters, then evaluates a model whose
    mismatched layers keep their random initialisation. tools/test.py (and
    ``--resume``) add this hook so such a run stops with the checkpoint and
    the parameters named (see :func:`check_checkpoint_state`), and when the
    checkpoint's class list differs from a dataset's.

    Args:
        strict (bool): All checks (testing, resuming). False for a training
            that starts from ``load_from``: only a checkpoint sharing no
            parameter with the model, or with weights that are not finite,
            is refused.
    """

    priority = 'VERY_HIGH'

    def __init__(self, strict=True):
        self.strict = strict

    def after_load_checkpoint(self, runner, checkpoint):
        source = runner.cfg.get('load_from') or 'the resumed checkpoint'
        check_checkpoint_state(runner.model, checkpoint, source, self.strict)
        if not self.strict:
            return
        for phase, dataset in _built_datasets(runner):
            where = getattr(dataset, 'ann_file', None) or f'the {phase} set'
            check_checkpoint_classes(checkpoint, dataset_classes(dataset),
                                     source, f'the {phase} dataset ({where})')
