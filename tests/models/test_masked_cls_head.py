import pytest
import torch

from mmtrpn.registry import MODELS
from mmtrpn.utils import register_all_modules

register_all_modules()


@pytest.mark.parametrize('batch,length', [(1, 7), (3, 10)])
def test_head_shapes(batch, length):
    head = MODELS.build(
        dict(type='MaskedClassifierHead', in_channels=6, num_classes=4))
    assert head.f.out_channels == 6  # hidden defaults to in_channels
    tcas = head(torch.randn(batch, length, 6), torch.ones(batch, length))
    assert tcas.shape == (batch, length, 5)
    assert torch.allclose(tcas.sum(-1), torch.ones(batch, length))
