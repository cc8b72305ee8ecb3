import math

import numpy as np
import pytest
import torch

from mmtrpn.models.losses import (BalancedMILLoss, ForegroundNormLoss,
                                  MutualLearningLoss, PseudoLabelLoss,
                                  bernoulli_kl, gaussian_smooth,
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


def _random_case(gen, batch=3, length=9):
    valid = torch.ones(batch, length)
    valid[1, length - 3:] = 0
    fss_cls = torch.rand(batch, length, generator=gen)
    tcas = torch.softmax(torch.randn(batch, length, 4, generator=gen) * 2, -1)
    return fss_cls, tcas, valid


@pytest.mark.parametrize('seed', range(40))
def test_bernoulli_pl_loss_is_a_divergence(seed):
    # property: >= 0 for any FSS_trpn, and minimal (= 0) exactly at the
    # target, whatever the (positive) weights
    gen = torch.Generator().manual_seed(seed)
    crit = PseudoLabelLoss(sigma=float(seed % 3))
    fss_cls, tcas, valid = _random_case(gen)
    target = crit.target(fss_cls, valid)
    at_target = crit(target, fss_cls, tcas, valid)
    assert abs(at_target.item()) < 1e-5
    for _ in range(5):
        other = torch.rand(fss_cls.shape, generator=gen)
        assert crit(other, fss_cls, tcas, valid).item() >= -1e-6
        assert crit(other, fss_cls, tcas, valid) > at_target
    # the gradient at the target vanishes (a minimum, not a saddle)
    p = target.clone().requires_grad_()
    crit(p, fss_cls, tcas, valid).backward()
    inside = (target > 1e-3) & (target < 1 - 1e-3)
    assert p.grad[inside].abs().max() < 1e-4
    # the minimum over a 1-d grid of one snippet sits at its target
    grid = torch.linspace(0.01, 0.99, 99)
    y = target[0, 4].item()
    values = []
    for g in grid:
        q = target.clone()
        q[0, 4] = g
        values.append(crit(q, fss_cls, tcas, valid).item())
    best = grid[int(np.argmin(values))].item()
    assert abs(best - min(max(y, 0.01), 0.99)) <= 0.01 + 1e-6


def test_bernoulli_pl_loss_by_hand():
    # sigma = 0: target = FSS_cls = [0.5, 1.0]; FSS_trpn = [0.25, 0.5]
    # T-CAS rows [0.5, 0.5], [0.9, 0.1]:
    #   eps = [2 log 2, -(log .9 + log .1)] = [1.386294, 2.407946]
    #   w = eps / mean(eps) = [0.730736, 1.269264]
    # KL(B(.5)||B(.25)) = .5 log(.5/.25) + .5 log(.5/.75) = 0.143841
    # KL(B(1)||B(.5)) = log 2 = 0.693147
    # L = (0.105110 + 0.879787) / 2 = 0.492448
    crit = PseudoLabelLoss(sigma=0)
    tcas = torch.tensor([[[0.5, 0.5], [0.9, 0.1]]])
    valid = torch.ones(1, 2)
    loss = crit(torch.tensor([[0.25, 0.5]]), torch.tensor([[0.5, 1.0]]),
                tcas, valid)
    assert loss.item() == pytest.approx(0.492448, abs=1e-5)
    # a padded third snippet changes nothing
    loss_pad = crit(
        torch.tensor([[0.25, 0.5, 0.9]]), torch.tensor([[0.5, 1.0, 0.1]]),
        torch.tensor([[[0.5, 0.5], [0.9, 0.1], [0.3, 0.7]]]),
        torch.tensor([[1., 1., 0.]]))
    assert loss_pad.item() == pytest.approx(loss.item(), abs=1e-6)
    # without the weights: (0.143841 + 0.693147) / 2
    plain = PseudoLabelLoss(sigma=0, use_weights=False)(
        torch.tensor([[0.25, 0.5]]), torch.tensor([[0.5, 1.0]]), tcas,
        valid)
    assert plain.item() == pytest.approx(0.418494, abs=1e-5)


def test_pl_target_minmax_rescale():
    crit = PseudoLabelLoss(sigma=0, target_rescale='minmax')
    y = crit.target(torch.tensor([[0.2, 0.4, 0.6, 0.9]]),
                    torch.tensor([[1., 1., 1., 0.]]))
    assert torch.allclose(y, torch.tensor([[0., 0.5, 1., 0.]]))


def test_pl_three_way_target_by_hand():
    # sigma = 0, 8 valid snippets (and one padded), fractions (1/4, 1/2):
    # the top floor(8/4) = 2 (0.9, 0.7) get target 1, the bottom 4 (0.1,
    # 0.2, 0.3, 0.4) target 0, the middle (0.5, 0.6) no loss
    fss_cls = torch.tensor([[0.9, 0.1, 0.5, 0.7, 0.3, 0.2, 0.6, 0.4, 1.0]])
    valid = torch.tensor([[1., 1, 1, 1, 1, 1, 1, 1, 0]])
    fss_trpn = torch.tensor([[0.8, 0.2, 0.1, 0.5, 0.4, 0.5, 0.9, 0.5, 0.5]])
    crit = PseudoLabelLoss(sigma=0, target_rescale='three_way',
                           three_way_fractions=(0.25, 0.5),
                           use_weights=False)
    assert crit.target(fss_cls, valid)[0].tolist() == pytest.approx(
        [1, 0, 0.5, 1, 0, 0, 0.6, 0, 0])
    assert crit.target_weight(fss_cls, valid).tolist() == \
        [[1, 1, 0, 1, 1, 1, 0, 1, 0]]
    # KL(1||.8) = KL(0||.2) = -log .8 = 0.223144; KL(1||.5) = KL(0||.5) =
    # log 2 = 0.693147 (three times); KL(0||.4) = -log .6 = 0.510826:
    # L = (2 * 0.223144 + 3 * 0.693147 + 0.510826) / 6 = 0.506093
    tcas = torch.full((1, 9, 2), 0.5)
    loss = crit(fss_trpn, fss_cls, tcas, valid)
    assert loss.item() == pytest.approx(0.506093, abs=1e-5)
    # a contrast, not a level: a third of the curve gives the same loss
    assert crit(fss_trpn, fss_cls / 3, tcas, valid).item() == \
        pytest.approx(loss.item(), abs=1e-6)


def test_eq10_form_by_hand():
    # literal Eq. 10 with its sign repaired, tau = 1, sigma = 0:
    # q = softmax([0, 0]) = [.5, .5]; FSS_trpn = [0.2, 0.6]
    # per snippet eps_t p_t log(p_t / q_t) / mean(eps) (weights normalised):
    # w = [0.730736, 1.269264]
    # L = (0.730736 * 0.2 log 0.4 + 1.269264 * 0.6 log 1.2) / 2
    #   = (-0.133913 + 0.138849) / 2 = 0.002468
    crit = PseudoLabelLoss(form='eq10', sigma=0)
    loss = crit(torch.tensor([[0.2, 0.6]]), torch.tensor([[0., 0.]]),
                torch.tensor([[[0.5, 0.5], [0.9, 0.1]]]), torch.ones(1, 2))
    assert loss.item() == pytest.approx(0.002468, abs=1e-5)


def test_pl_loss_options_are_checked():
    with pytest.raises(ValueError, match='form'):
        PseudoLabelLoss(form='kl')
    with pytest.raises(ValueError, match='target_rescale'):
        PseudoLabelLoss(target_rescale='zscore')
    with pytest.raises(ValueError, match='three_way_fractions'):
        PseudoLabelLoss(target_rescale='three_way',
                        three_way_fractions=(0.6, 0.5))


@pytest.mark.parametrize('form', ['bernoulli', 'eq10'])
def test_pl_loss_gradient_only_to_trpn_side(form):
    crit = PseudoLabelLoss(form=form)
    fss_trpn = torch.rand(2, 12).clamp(0.05, 0.95).requires_grad_()
    fss_cls = torch.rand(2, 12, requires_grad=True)
    tcas = torch.softmax(torch.randn(2, 12, 4), -1).requires_grad_()
    valid = torch.ones(2, 12)
    valid[1, 9:] = 0
    crit(fss_trpn, fss_cls, tcas, valid).backward()
    assert fss_cls.grad is None and tcas.grad is None
    assert fss_trpn.grad.abs().sum() > 0
    assert torch.all(fss_trpn.grad[1, 9:] == 0)
    assert torch.isfinite(fss_trpn.grad).all()


def test_bernoulli_kl_values():
    assert bernoulli_kl(torch.tensor(0.5), torch.tensor(0.5)).item() == \
        pytest.approx(0.0, abs=1e-7)
    assert bernoulli_kl(torch.tensor(1.0), torch.tensor(0.5)).item() == \
        pytest.approx(math.log(2), abs=1e-6)
    assert bernoulli_kl(torch.tensor(0.0), torch.tensor(0.75)).item() == \
        pytest.approx(math.log(4), abs=1e-6)


def test_foreground_norm_loss():
    # per-video means over valid snippets: (0.2 + 0.4) / 2 = 0.3 and 1.0
    loss = ForegroundNormLoss()(torch.tensor([[0.2, 0.4, 0.9], [1., 1., 1.]]),
                                torch.tensor([[1., 1., 0.], [1., 1., 1.]]))
    assert loss.item() == pytest.approx(0.65, abs=1e-6)


def test_mil_loss_video_weight():
    crit = BalancedMILLoss()
    probs = torch.tensor([[0.9, 0.2], [0.1, 0.5]])
    labels = torch.tensor([[1., 0.], [1., 0.]])
    only_first = crit(probs[:1], labels[:1])
    weighted = crit(probs, labels, torch.tensor([1., 0.]))
    assert weighted.item() == pytest.approx(only_first.item(), abs=1e-7)
    assert crit(probs, labels, torch.zeros(2)).item() == 0


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
