"""Refuse a checkpoint whose tensors do not fit the model."""
import re

from mmengine.hooks import Hook

from mmtrpn.registry import HOOKS


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


@HOOKS.register_module()
class CheckpointShapeCheckHook(Hook):
    """Fail clearly when a loaded checkpoint does not match the model.

    MMEngine loads with ``strict=False`` and only warns about size
    mismatches, then evaluates a model whose mismatched layers keep their
    random initialisation. tools/test.py (and ``--resume``) add this hook so
    such a run stops with the checkpoint and the parameters named, e.g. a
    checkpoint trained with another ``num_classes`` or ``feature_dims``.
    """

    priority = 'VERY_HIGH'

    def after_load_checkpoint(self, runner, checkpoint):
        model = runner.model
        model = getattr(model, 'module', model)
        state = checkpoint.get('state_dict', checkpoint)
        bad, shared = checkpoint_mismatches(model.state_dict(), state)
        source = runner.cfg.get('load_from') or 'the resumed checkpoint'
        if not shared:
            raise ValueError(
                f'Checkpoint {source} holds none of the parameters of '
                f'{type(model).__name__}: is it a checkpoint of this model?')
        if bad:
            lines = '; '.join(f'{k}: checkpoint {list(c)} vs model {list(m)}'
                              for k, c, m in bad[:8])
            more = f' (and {len(bad) - 8} more)' if len(bad) > 8 else ''
            raise ValueError(
                f'Checkpoint {source} does not match the model built from '
                f'the config: {len(bad)} parameter shape(s) differ: '
                f'{lines}{more}. Was it trained with another num_classes or '
                'feature_dims? Use the config it was trained with.')
