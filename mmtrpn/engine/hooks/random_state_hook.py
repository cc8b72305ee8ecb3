"""Carry torch's global random state through checkpoints for exact resume."""
import random

import numpy as np
import torch
from mmengine.hooks import Hook

from mmtrpn.registry import HOOKS
from .feature_bank_hook import data_preprocessor_of


def _get_state():
    state = dict(torch=torch.get_rng_state(), numpy=np.random.get_state(),
                 python=random.getstate())
    if torch.cuda.is_available():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def _set_state(state, numpy_and_python=True):
    torch.set_rng_state(state['torch'])
    if 'cuda' in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state['cuda'])
    if numpy_and_python:
        np.random.set_state(state['numpy'])
        random.setstate(state['python'])


def _preprocessor_rng(runner):
    getter = getattr(data_preprocessor_of(runner.model), 'rng_state', None)
    return None if getter is None else getter()


@HOOKS.register_module()
class RandomStateHook(Hook):
    """Save torch's RNG state with each checkpoint and restore it on resume.

    MMEngine re-seeds on resume, so dropout and Gumbel noise after a resume
    would differ from an uninterrupted run. The data side needs nothing: on
    resume the loop replays the skipped batches through the same seeded
    pipeline (numpy state included). The torch state is restored just before
    the first resumed iteration, after the data loader has drawn its own
    seeds from the global generator.

    Validation during training runs inside a fork of all global generators:
    creating the val data loader iterator draws from torch's generator, and
    MMEngine re-saves the iteration checkpoint after validation when the best
    score improves. Without the fork, a checkpoint written before validation
    would hold a state that the uninterrupted run no longer has, and training
    with and without validation would differ.

    A data preprocessor with its own generator (``FeatureBankPreprocessor``
    samples snippets in the training step, which the loop does not replay)
    has its state saved and restored the same way.

    Limit: with an epoch-style sampler in an iteration-based loop, an epoch
    boundary falling exactly on the first resumed batch draws a loader seed
    before the restore; our configs use ``InfiniteSampler``.
    """

    priority = 'VERY_LOW'

    def __init__(self):
        self._pending_state = None
        self._val_state = None

    def before_save_checkpoint(self, runner, checkpoint):
        # MMEngine re-saves iter_N.pth inside validation when the best score
        # improves; the training's state then is the one forked before it.
        source = self._val_state or dict(torch=torch.get_rng_state())
        state = dict(torch=source['torch'])
        if torch.cuda.is_available():
            state['cuda'] = source.get('cuda', torch.cuda.get_rng_state_all())
        # validation never draws from the preprocessor's generator
        pre_state = _preprocessor_rng(runner)
        if pre_state is not None:
            state['data_preprocessor'] = pre_state
        checkpoint['random_state'] = state

    def after_load_checkpoint(self, runner, checkpoint):
        self._pending_state = checkpoint.get('random_state')

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if self._pending_state is None:
            return
        # numpy is left to the data replay: the first resumed batch has
        # already been sampled at this point.
        _set_state(self._pending_state, numpy_and_python=False)
        if 'data_preprocessor' in self._pending_state:
            data_preprocessor_of(runner.model).set_rng_state(
                self._pending_state['data_preprocessor'])
        self._pending_state = None

    def before_val(self, runner):
        self._val_state = _get_state()

    def after_val(self, runner):
        if self._val_state is not None:
            _set_state(self._val_state)
            self._val_state = None
