import math

import pytest
import torch

from mmtrpn.models.losses import (BalancedMILLoss, MutualLearningLoss,
                                  PseudoLabelKLLoss, gaussian_smooth,
                                  snippet_uncertainty)


def test_balanced_mil_loss_by_hand():
    # video 1: p = [0.8, 0.5, 0.1 | bg 0.2], y = [1, 0, 0 | 0]; Y+ = 1, Y- = 3
    #   L1 = -log 0.8 - (log 0.5 + log 0.9 + log 0.8) / 3
    #      = 0.223144 + (0.693147 + 0.105361 + 0.223144) / 3 = 0.563694
    # video 2: p = 0.5 everywhere, y = [1, 1, 0 | 1]; Y+ = 3, Y- = 1
    #   L2 = 3 * log 2 / 3 + log 2 = 1.386294
    # mean over the batch: (0.563694 + 1.386294) / 2 = 0.974994
    probs = torch.tensor([[0.8, 0.5, 0.1, 0.2], [0.5, 0.5, 0.5, 0.5]])
    labels = torch.tensor([[1., 0, 0, 0], [1, 1, 0, 1]])
    loss = BalancedMILLoss()(probs, labels)
    assert loss.item() == pytest.approx(0.974994, abs=1e-5)


def test_balanced_mil_loss_is_clamped():
    # a positive at p = 0 costs -log(1e-6) instead of inf
    loss = BalancedMILLoss()(torch.tensor([[0., 0.]]), torch.tensor([[1.,
                                                                      0.]]))
    assert torch.isfinite(loss)
    assert loss.item() == pytest.approx(-math.log(1e-6), rel=1e-4)


def test_gaussian_smooth_is_mask_aware():
    valid = torch.tensor([[1., 1, 1, 1, 1, 1, 0, 0]])
    x = torch.tensor([[0.3] * 6 + [9., 9.]])  # garbage in the padding
    out = gaussian_smooth(x, valid, sigma=2)
    # normalised convolution: a constant stays constant up to the ends
    assert torch.allclose(out[0, :6], torch.full((6, ), 0.3), atol=1e-6)
    assert torch.all(out[0, 6:] == 0)
    assert torch.equal(gaussian_smooth(x, valid, sigma=0), x * valid)
    # an impulse spreads symmetrically
    imp = torch.zeros(1, 21)
    imp[0, 10] = 1
    out = gaussian_smooth(imp, torch.ones(1, 21), sigma=2)
    assert torch.allclose(out[0, :10], out[0, 11:].flip(0))
    assert out[0].argmax() == 10


def test_kl_loss_by_hand():
    # sigma = 0, tau = 1, FSS_cls = [0, 0] -> q = [0.5, 0.5]
    # FSS_trpn = [0.2, 0.6] -> p = [0.25, 0.75]
    # T-CAS rows [0.5, 0.5], [0.9, 0.1]:
    #   eps = [2 log 2, -(log .9 + log .1)] = [1.386294, 2.407946]
    #   w = eps / mean(eps) = [0.730736, 1.269264]
    # L = 0.730736 * 0.25 * log(0.5) + 1.269264 * 0.75 * log(1.5) = 0.259355
    crit = PseudoLabelKLLoss(sigma=0, tau=1)
    fss_trpn = torch.tensor([[0.2, 0.6]])
    fss_cls = torch.tensor([[0., 0.]])
    tcas = torch.tensor([[[0.5, 0.5], [0.9, 0.1]]])
    valid = torch.ones(1, 2)
    loss = crit(fss_trpn, fss_cls, tcas, valid)
    assert loss.item() == pytest.approx(0.259355, abs=1e-5)
    # a padded third snippet changes nothing
    loss_pad = crit(
        torch.tensor([[0.2, 0.6, 0.9]]), torch.tensor([[0., 0., 5.]]),
        torch.tensor([[[0.5, 0.5], [0.9, 0.1], [0.3, 0.7]]]),
        torch.tensor([[1., 1., 0.]]))
    assert loss_pad.item() == pytest.approx(loss.item(), abs=1e-6)
    # uniform T-CAS (w = 1) and p == q give zero:
    # q = softmax([0, log 2]) = [1/3, 2/3] = p for FSS_trpn = [0.2, 0.4]
    zero = crit(
        torch.tensor([[0.2, 0.4]]), torch.tensor([[0., math.log(2)]]),
        torch.full((1, 2, 2), 0.5), valid)
    assert abs(zero.item()) < 1e-6


def test_kl_loss_gradient_only_to_trpn_side():
    crit = PseudoLabelKLLoss()
    fss_trpn = torch.rand(2, 12, requires_grad=True)
    fss_cls = torch.rand(2, 12, requires_grad=True)
    tcas = torch.softmax(torch.randn(2, 12, 4), -1).requires_grad_()
    valid = torch.ones(2, 12)
    valid[1, 9:] = 0
    crit(fss_trpn, fss_cls, tcas, valid).backward()
    assert fss_cls.grad is None and tcas.grad is None
    assert fss_trpn.grad.abs().sum() > 0
    assert torch.all(fss_trpn.grad[1, 9:] == 0)
    assert torch.isfinite(fss_trpn.grad).all()


def test_snippet_uncertainty():
    tcas = torch.tensor([[[0.5, 0.5]]])
    assert snippet_uncertainty(tcas).item() == pytest.approx(2 * math.log(2))


def test_mutual_learning_loss_by_hand():
    # MSE over 2 valid snippets: ((0.2 - 0.4)^2 + 0) / 2 = 0.02 in both terms
    # L = 0.9 * 0.02 + 0.1 * 0.02 = 0.02
    # dL/dFSS_trpn[0] = 0.9 * 2 * (0.2 - 0.4) / 2 = -0.18 (first term only)
    # dL/dFSS_cls[0] = 0.1 * 2 * (0.4 - 0.2) / 2 = 0.02 (second term only)
    fss_trpn = torch.tensor([[0.2, 0.6, 0.0]], requires_grad=True)
    fss_cls = torch.tensor([[0.4, 0.6, 1.0]], requires_grad=True)
    valid = torch.tensor([[1., 1., 0.]])
    loss = MutualLearningLoss(alpha=(0.9, 0.1))(fss_trpn, fss_cls, valid)
    assert loss.item() == pytest.approx(0.02, abs=1e-7)
    loss.backward()
    assert fss_trpn.grad[0, 0].item() == pytest.approx(-0.18, abs=1e-6)
    assert fss_cls.grad[0, 0].item() == pytest.approx(0.02, abs=1e-6)
    assert fss_trpn.grad[0, 2] == 0 and fss_cls.grad[0, 2] == 0
