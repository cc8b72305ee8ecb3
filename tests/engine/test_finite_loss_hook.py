"""A non-finite loss stops training at once (issue 19, case 5)."""
import types

import pytest
import torch

from mmtrpn.engine.hooks import FiniteLossHook


def test_nan_loss_stops_naming_the_iteration():
    hook = FiniteLossHook()
    runner = types.SimpleNamespace(iter=6)
    hook.after_train_iter(runner, 0, outputs=dict(
        loss=torch.tensor(1.5), loss_mil=torch.tensor(0.5)))
    with pytest.raises(FloatingPointError,
                       match=r'iteration 7 \(loss=nan\)'):
        hook.after_train_iter(runner, 0, outputs=dict(
            loss=torch.tensor(float('nan')), loss_mil=torch.tensor(0.5)))
    with pytest.raises(FloatingPointError, match='loss_kl=inf'):
        hook.after_train_iter(runner, 0, outputs=dict(
            loss_kl=torch.tensor(float('inf'))))
