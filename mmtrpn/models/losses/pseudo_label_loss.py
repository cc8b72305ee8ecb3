"""Pseudo-label supervision of the T-RPN (method.md sections 5 and 6).

All functions take per-snippet sequences of shape (B, T) together with a
``valid`` mask (B, T) that is 1 on real snippets and 0 on padding, so that a
video's loss does not depend on what it was batched with.
"""
import math
from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmtrpn.registry import MODELS
from ..utils import masked_mean, top_fraction_mask

# Finite stand-in for -inf at padded snippets: an infinite logit would turn
# 0 * inf into NaN in the backward pass.
_NEG_LARGE = -1e4
PSEUDO_LABEL_FORMS = ('bernoulli', 'eq10')
# 'three_way': a contrast, not a level (see PseudoLabelLoss)
TARGET_RESCALES = ('none', 'minmax', 'three_way')


def gaussian_smooth(x: torch.Tensor, valid: torch.Tensor,
                    sigma: float) -> torch.Tensor:
    """Mask-aware Gaussian smoothing along time.

    Normalised convolution: ``G*(x m) / G*m``, so padding and the video ends
    do not pull the curve towards zero.

    Args:
        x (Tensor): (B, T) curve.
        valid (Tensor): (B, T) 0/1 mask of real snippets.
        sigma (float): Standard deviation in snippets; <= 0 returns ``x``.

    Returns:
        Tensor: (B, T) smoothed curve, zero at padded snippets.
    """
    if sigma <= 0:
        return x * valid
    radius = max(1, int(math.ceil(3 * sigma)))
    offsets = torch.arange(
        -radius, radius + 1, device=x.device, dtype=x.dtype)
    kernel = torch.exp(-0.5 * (offsets / sigma)**2)
    kernel = (kernel / kernel.sum()).view(1, 1, -1)
    num = F.conv1d((x * valid).unsqueeze(1), kernel, padding=radius)
    den = F.conv1d(valid.to(x.dtype).unsqueeze(1), kernel, padding=radius)
    out = num.squeeze(1) / den.squeeze(1).clamp_min(1e-6)
    return out * valid


def snippet_uncertainty(tcas: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """Eq. 10: ``eps_t = -sum_j log T-CAS_t,j`` over the C+1 classes."""
    return -tcas.clamp(eps, 1 - eps).log().sum(dim=-1)


def bernoulli_kl(target: torch.Tensor, prob: torch.Tensor,
                 eps: float = 1e-6) -> torch.Tensor:
    """``KL(Bern(target) || Bern(prob))`` elementwise.

    Written as cross-entropy minus the target's entropy so that it is >= 0
    and exactly 0 at ``prob == target`` (up to the ``eps`` clamp).
    """
    p = prob.clamp(eps, 1 - eps)
    y = target.clamp(0, 1)
    cross = -(y * p.log() + (1 - y) * (1 - p).log())
    # xlogy: 0 log 0 = 0, so a 0/1 target has exactly zero entropy
    neg_entropy = torch.xlogy(y, y) + torch.xlogy(1 - y, 1 - y)
    return cross + neg_entropy


@MODELS.register_module()
class PseudoLabelLoss(nn.Module):
    """Confidence-weighted pseudo-label loss of the T-RPN (PLG, Eq. 8-10).

    Both forms smooth the classifier's foreground ``FSS_cls`` (Eq. 8) with a
    mask-aware Gaussian (Eq. 9) and weight snippets by the detached
    ``w_t = eps_t / mean_t(eps)`` of Eq. 10. The target and the weights are
    detached: the loss trains only the T-RPN side.

    - ``form='bernoulli'`` (default, method.md section 5): target
      ``y_t = G_sigma(FSS_cls)_t`` in [0, 1] and
      ``L = mean_t w_t KL(Bern(y_t) || Bern(FSS_trpn_t))``. Non-negative,
      zero exactly at ``FSS_trpn = y`` for any positive weights, and it sets
      the absolute level of ``FSS_trpn``.
    - ``form='eq10'`` (ablation only): the printed Eq. 10 with its sign
      repaired, ``L = 1/T sum_t eps_t FSS_trpn_t log(FSS_trpn_t / q_t)``
      with ``q = softmax_t(G_sigma(FSS_cls) / tau)`` (Eq. 9). It mixes a
      sigmoid score with a distribution over time and is not a divergence;
      kept to measure the repair.

    Both are averaged over the videos of the batch.

    Args:
        form (str): ``'bernoulli'`` or ``'eq10'``. Defaults to 'bernoulli'.
        sigma (float): Gaussian smoothing width in snippets. Defaults to 2.
        tau (float): Softmax temperature of Eq. 9 (``eq10`` only).
            Defaults to 1 (the equation has none).
        target_rescale (str): ``'none'``, ``'minmax'`` (per-video min-max
            rescaling of the smoothed target) or ``'three_way'`` (by rank
            per video: the top ``three_way_fractions[0]`` of the smoothed
            target's valid snippets get target 1, the bottom
            ``three_way_fractions[1]`` target 0, the middle weight 0; the
            loss is then the weighted mean over the snippets with a
            target). ``bernoulli`` only. Defaults to 'none'.
        three_way_fractions (Sequence[float]): ``(top, bottom)`` of
            ``'three_way'``, ``top + bottom <= 1``. Defaults to (1/8, 1/3),
            the shares top-k MIL and ASM-Loc's background branch pool.
        use_weights (bool): Apply the ``eps`` weights. Defaults to True.
        eps (float): Clamp for probabilities inside logs. Defaults to 1e-6.
    """

    def __init__(self,
                 form: str = 'bernoulli',
                 sigma: float = 2.0,
                 tau: float = 1.0,
                 target_rescale: str = 'none',
                 three_way_fractions: Sequence[float] = (1 / 8, 1 / 3),
                 use_weights: bool = True,
                 eps: float = 1e-6):
        super().__init__()
        if form not in PSEUDO_LABEL_FORMS:
            raise ValueError(f'PseudoLabelLoss.form must be one of '
                             f'{PSEUDO_LABEL_FORMS}, got {form!r}')
        if target_rescale not in TARGET_RESCALES:
            raise ValueError(f'PseudoLabelLoss.target_rescale must be one of '
                             f'{TARGET_RESCALES}, got {target_rescale!r}')
        top, bottom = (float(v) for v in three_way_fractions)
        if not (top > 0 and bottom > 0 and top + bottom <= 1):
            raise ValueError('PseudoLabelLoss.three_way_fractions must be '
                             '(top, bottom) > 0 with top + bottom <= 1, got '
                             f'{three_way_fractions}')
        if tau <= 0:
            raise ValueError(f'PseudoLabelLoss.tau must be > 0, got {tau}')
        self.form = form
        self.sigma = sigma
        self.tau = tau
        self.target_rescale = target_rescale
        self.three_way_fractions = (top, bottom)
        self.use_weights = use_weights
        self.eps = eps

    @torch.no_grad()
    def target(self, fss_cls: torch.Tensor,
               valid: torch.Tensor) -> torch.Tensor:
        """Detached Bernoulli target ``y`` (B, T) in [0, 1], 0 at padding
        (``'three_way'``: 1 / 0 at the top / bottom ranks, the smoothed
        curve in the ignored middle)."""
        y = gaussian_smooth(fss_cls.detach(), valid, self.sigma).clamp(0, 1)
        if self.target_rescale == 'three_way':
            top, bottom = self.three_way_ranks(y, valid)
            y = torch.where(top > 0, torch.ones_like(y), y)
            y = torch.where(bottom > 0, torch.zeros_like(y), y)
        if self.target_rescale == 'minmax':
            big = torch.finfo(y.dtype).max
            lo = y.masked_fill(valid <= 0, big).amin(-1, keepdim=True)
            hi = y.masked_fill(valid <= 0, -big).amax(-1, keepdim=True)
            y = (y - lo) / (hi - lo).clamp_min(self.eps)
        return y.clamp(0, 1) * valid

    @torch.no_grad()
    def three_way_ranks(self, y: torch.Tensor, valid: torch.Tensor):
        """(B, T) 0/1 masks of the top and the bottom fractions of each
        video's valid snippets of ``y``, by rank."""
        top_frac, bottom_frac = self.three_way_fractions
        top = top_fraction_mask(y, valid, top_frac)
        bottom = top_fraction_mask(-y, valid, bottom_frac) * (1 - top)
        return top, bottom

    @torch.no_grad()
    def target_weight(self, fss_cls: torch.Tensor,
                      valid: torch.Tensor) -> torch.Tensor:
        """(B, T) 0/1: the snippets the loss averages over (all valid
        ones, or under ``'three_way'`` the top and the bottom ranks)."""
        if self.target_rescale != 'three_way':
            return valid
        y = gaussian_smooth(fss_cls.detach(), valid, self.sigma).clamp(0, 1)
        top, bottom = self.three_way_ranks(y, valid)
        return top + bottom

    @torch.no_grad()
    def weights(self, tcas: torch.Tensor,
                valid: torch.Tensor) -> torch.Tensor:
        """Detached ``w_t = eps_t / mean_t(eps)`` (B, T), 0 at padding."""
        if not self.use_weights:
            return valid.clone()
        unc = snippet_uncertainty(tcas.detach(), self.eps) * valid
        mean = masked_mean(unc, valid, dim=-1).unsqueeze(-1)
        return unc / mean.clamp_min(self.eps)

    def forward(self, fss_trpn: torch.Tensor, fss_cls: torch.Tensor,
                tcas: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            fss_trpn (Tensor): (B, T) T-RPN foreground scores in [0, 1].
            fss_cls (Tensor): (B, T) classifier foreground scores.
            tcas (Tensor): (B, T, C+1) T-CAS that gave ``fss_cls`` (for the
                confidence weights).
            valid (Tensor): (B, T) 0/1 mask of real snippets.
        """
        valid = valid.to(fss_trpn.dtype)
        weight = self.weights(tcas, valid)
        if self.form == 'bernoulli':
            per_snippet = bernoulli_kl(
                self.target(fss_cls, valid), fss_trpn, self.eps)
            kept = self.target_weight(fss_cls, valid)
            return masked_mean(weight * per_snippet, kept, dim=-1).mean()
        smooth = gaussian_smooth(fss_cls.detach(), valid, self.sigma)
        logits = (smooth / self.tau).masked_fill(valid <= 0, _NEG_LARGE)
        log_q = F.log_softmax(logits, dim=-1)
        p = fss_trpn.clamp(self.eps, 1 - self.eps)
        per_snippet = p * (p.log() - log_q)
        return masked_mean(weight * per_snippet, valid, dim=-1).mean()


@MODELS.register_module()
class MutualLearningLoss(nn.Module):
    """The two stages teach each other their foreground curves (our reading).

    ``L = a1 * MSE(FSS_trpn, sg(FSS_cls)) + a2 * MSE(FSS_cls, sg(FSS_trpn))``
    with ``sg`` the stop-gradient; each MSE is a mean over all valid snippets
    of the batch.

    Args:
        alpha (Sequence[float]): ``(a1, a2)``, the weights of the stage-1 and
            stage-2 terms. Defaults to (0.9, 0.1).
    """

    def __init__(self, alpha: Sequence[float] = (0.9, 0.1)):
        super().__init__()
        assert len(alpha) == 2, 'alpha needs one weight per stage'
        self.alpha = tuple(float(a) for a in alpha)

    def forward(self, fss_trpn: torch.Tensor, fss_cls: torch.Tensor,
                valid: torch.Tensor) -> torch.Tensor:
        stage1 = masked_mean((fss_trpn - fss_cls.detach())**2, valid)
        stage2 = masked_mean((fss_cls - fss_trpn.detach())**2, valid)
        return self.alpha[0] * stage1 + self.alpha[1] * stage2


@MODELS.register_module()
class ForegroundNormLoss(nn.Module):
    """Mean foreground score per video (CO2-Net's attention-norm term).

    The counter-weight of a pull towards the classifier's foreground: it
    keeps ``FSS_trpn`` sparse. An option (weight 0 by default) until
    selected on held-out data (method.md section 6).
    """

    def forward(self, fss: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        return masked_mean(fss, valid, dim=-1).mean()
