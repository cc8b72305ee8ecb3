"""Stop training at the first loss that is not finite."""
import math

import torch
from mmengine.hooks import Hook

from mmtrpn.registry import HOOKS


@HOOKS.register_module()
class FiniteLossHook(Hook):
    """Raise at the first iteration whose loss is NaN or Inf, naming it.

    A NaN loss makes every later weight NaN, and MMEngine trains on to the
    end, writing NaN checkpoints, with exit code 0. The tools add this hook
    to every training (see ``mmtrpn.utils.config_checks``).
    """

    priority = 'VERY_HIGH'

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        bad = {}
        for name, value in (outputs or {}).items():
            if torch.is_tensor(value) and value.numel() and \
                    value.is_floating_point():
                if not bool(torch.isfinite(value.detach()).all()):
                    bad[name] = value.detach().float().mean().item()
            elif isinstance(value, float) and not math.isfinite(value):
                bad[name] = value
        if bad:
            terms = ', '.join(f'{k}={v}' for k, v in bad.items())
            raise FloatingPointError(
                f'Loss is not finite at iteration {runner.iter + 1} '
                f'({terms}); training stopped. The checkpoints written '
                'before it are kept; look for NaN/Inf in the features, a '
                'checkpoint loaded with load_from, or a too large learning '
                'rate.')
