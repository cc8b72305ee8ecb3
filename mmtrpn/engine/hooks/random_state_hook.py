"""Carry torch's global random state through checkpoints for exact resume."""
import torch
from mmengine.hooks import Hook

from mmtrpn.registry import HOOKS


@HOOKS.register_module()
class RandomStateHook(Hook):
    """Save torch's RNG state with each checkpoint and restore it on resume.

    MMEngine re-seeds on resume, so dropout and Gumbel noise after a resume
    would differ from an uninterrupted run. The data side needs nothing: on
    resume the loop replays the skipped batches through the same seeded
    pipeline. The state is restored just before the first resumed iteration,
    after the data loader has drawn its own seeds from the global generator.
    """

    priority = 'VERY_LOW'

    def __init__(self):
        self._pending_state = None

    def before_save_checkpoint(self, runner, checkpoint):
        state = dict(torch=torch.get_rng_state())
        if torch.cuda.is_available():
            state['cuda'] = torch.cuda.get_rng_state_all()
        checkpoint['random_state'] = state

    def after_load_checkpoint(self, runner, checkpoint):
        self._pending_state = checkpoint.get('random_state')

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if self._pending_state is None:
            return
        torch.set_rng_state(self._pending_state['torch'])
        if 'cuda' in self._pending_state and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(self._pending_state['cuda'])
        self._pending_state = None
