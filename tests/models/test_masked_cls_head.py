import pytest
import torch

from mmtrpn.models.heads import masked_avg_pool, topk_pool
from mmtrpn.registry import MODELS


def test_topk_pool_respects_padding():
    # video 0: 5 valid, r = 2 -> k = 2 -> mean(5, 4) = 4.5
    # video 1: 3 valid (+2 padded 100s), k = max(1, 3 // 2) = 1 -> 3
    tcas = torch.tensor([[1., 5, 3, 2, 4], [3, 1, 2, 100, 100]]).unsqueeze(-1)
    valid = torch.tensor([[1., 1, 1, 1, 1], [1, 1, 1, 0, 0]])
    out = topk_pool(tcas, valid, ratio=2)
    assert out.shape == (2, 1)
    assert out[:, 0].tolist() == pytest.approx([4.5, 3.0])
    # k floors at 1 for a video shorter than r
    out = topk_pool(tcas, valid, ratio=8)
    assert out[:, 0].tolist() == pytest.approx([5.0, 3.0])


def test_masked_avg_pool_and_empty_guard():
    tcas = torch.tensor([[1., 2, 3, 4], [1, 2, 6, 100]]).unsqueeze(-1)
    valid = torch.tensor([[1., 1, 1, 1], [1, 1, 1, 0]])
    mask = torch.tensor([[0., 1, 1, 0], [0, 0, 0, 0]])
    out = masked_avg_pool(tcas, mask, valid)
    # video 0: (2 + 3) / 2 = 2.5; video 1 has an empty mask and falls back
    # to its valid snippets: (1 + 2 + 6) / 3 = 3
    assert out[:, 0].tolist() == pytest.approx([2.5, 3.0])


def test_masked_avg_pool_passes_mask_gradient():
    tcas = torch.tensor([[1., 2, 3]]).unsqueeze(-1)
    mask = torch.tensor([[1., 1., 0.]], requires_grad=True)
    masked_avg_pool(tcas, mask, torch.ones(1, 3)).sum().backward()
    # d/dm_t of sum(m c) / sum(m) = (c_t - 1.5) / 2
    assert mask.grad[0].tolist() == pytest.approx([-0.25, 0.25, 0.75])


@pytest.mark.parametrize('batch,length', [(1, 7), (3, 10)])
def test_head_shapes(batch, length):
    head = MODELS.build(
        dict(type='MaskedClassifierHead', in_channels=6, num_classes=4))
    assert head.f.out_channels == 6  # hidden defaults to in_channels
    tcas = head(torch.randn(batch, length, 6), torch.ones(batch, length))
    assert tcas.shape == (batch, length, 5)
    assert torch.allclose(tcas.sum(-1), torch.ones(batch, length))


def test_head_loss_appends_background():
    head = MODELS.build(
        dict(type='MaskedClassifierHead', in_channels=4, num_classes=2))
    probs = torch.tensor([[0.8, 0.3, 0.6]])
    labels = torch.tensor([[1., 0.]])
    got = head.loss(probs, labels, background=1.)
    want = head.loss_mil(probs, torch.tensor([[1., 0., 1.]]))
    assert torch.allclose(got, want)
