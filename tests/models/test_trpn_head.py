import pytest
import torch

from mmtrpn.registry import MODELS


def build(**kwargs):
    cfg = dict(type='TRPNHead', in_channels=6, hidden=8)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def test_scores_shape_and_padding():
    head = build().eval()
    valid = torch.tensor([[1.] * 7, [1.] * 4 + [0.] * 3])
    fss = head(torch.randn(2, 7, 6), valid)
    assert fss.shape == (2, 7)
    assert torch.all((fss >= 0) & (fss <= 1))
    assert torch.all(fss[1, 4:] == 0)


@pytest.mark.parametrize('noise', ['gumbel', 'normal'])
def test_straight_through_mask(noise):
    torch.manual_seed(0)
    head = build(noise=noise, tau=0.1).train()
    valid = torch.ones(2, 9)
    valid[1, 6:] = 0
    fss = head(torch.randn(2, 9, 6), valid)
    mask = head.sample_mask(fss, valid)
    # exactly 0/1 in the forward pass, 0 on padding
    assert set(mask.detach().unique().tolist()) <= {0.0, 1.0}
    assert torch.all(mask[1, 6:] == 0)
    # the soft sample's gradient reaches g
    (mask * torch.arange(9.)).sum().backward()
    for p in head.parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0


def test_predict_mask_thresholds():
    head = build(infer_threshold=0.5)
    fss = torch.tensor([[0.2, 0.5, 0.51, 0.9]])
    valid = torch.tensor([[1., 1., 1., 0.]])
    assert head.predict_mask(fss, valid).tolist() == [[0., 0., 1., 0.]]


def test_bad_noise():
    with pytest.raises(ValueError):
        build(noise='uniform')


@pytest.mark.parametrize('bias, expected', [
    (0.0, 0.5),  # the paper's sampler: P(mask) = p
    # p e^-b / (p e^-b + 1 - p) at p = 0.5, b = 3: e^-3 / (1 + e^-3)
    (3.0, 0.0474259),
])
def test_training_mask_bias_sets_inclusion_probability(bias, expected):
    torch.manual_seed(0)
    head = build(train_mask_bias=bias, tau=0.1)
    fss = torch.full((200, 500), 0.5)
    mask = head.sample_mask(fss, torch.ones_like(fss))
    assert mask.mean().item() == pytest.approx(expected, abs=0.005)
