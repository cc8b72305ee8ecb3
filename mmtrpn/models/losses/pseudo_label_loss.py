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

# Finite stand-in for -inf at padded snippets: an infinite logit would turn
# 0 * inf into NaN in the backward pass.
_NEG_LARGE = -1e4


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


@MODELS.register_module()
class PseudoLabelKLLoss(nn.Module):
    """Confidence-weighted KL between the T-RPN and the pseudo-label.

    ``q = softmax_t(G_sigma(FSS_cls) / tau)`` over the valid snippets is the
    pseudo-label, ``p = FSS_trpn / sum_t FSS_trpn``, and
    ``L = sum_t w_t p_t (log p_t - log q_t)`` with
    ``w_t = eps_t / mean_t(eps)`` from :func:`snippet_uncertainty`.
    ``q`` and ``w`` are detached: this loss trains only the T-RPN.
    Averaged over the batch.

    Args:
        sigma (float): Gaussian smoothing width in snippets. Defaults to 2.
        tau (float): Softmax temperature over time. Defaults to 0.2.
        eps (float): Clamp for probabilities inside logs. Defaults to 1e-6.
    """

    def __init__(self, sigma: float = 2.0, tau: float = 0.2,
                 eps: float = 1e-6):
        super().__init__()
        self.sigma = sigma
        self.tau = tau
        self.eps = eps

    def pseudo_label(self, fss_cls: torch.Tensor,
                     valid: torch.Tensor) -> torch.Tensor:
        """Log of the (detached) pseudo-label distribution ``q``, (B, T)."""
        smooth = gaussian_smooth(fss_cls.detach(), valid, self.sigma)
        logits = (smooth / self.tau).masked_fill(valid <= 0, _NEG_LARGE)
        return F.log_softmax(logits, dim=-1)

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
        log_q = self.pseudo_label(fss_cls, valid)

        fss = fss_trpn.clamp(self.eps, 1 - self.eps) * valid
        total = fss.sum(dim=-1, keepdim=True).clamp_min(self.eps)
        p = fss / total
        # log p = log FSS - log sum FSS, finite at padding (masked below)
        log_p = fss_trpn.clamp(self.eps, 1 - self.eps).log() - total.log()

        with torch.no_grad():
            unc = snippet_uncertainty(tcas, self.eps) * valid
            mean_unc = unc.sum(-1, keepdim=True) / valid.sum(
                -1, keepdim=True).clamp_min(1)
            weight = unc / mean_unc.clamp_min(self.eps)

        per_snippet = weight * p * (log_p - log_q) * valid
        return per_snippet.sum(dim=-1).mean()


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
        valid = valid.to(fss_trpn.dtype)
        count = valid.sum().clamp_min(1)

        def masked_mse(a, b):
            return (((a - b)**2) * valid).sum() / count

        stage1 = masked_mse(fss_trpn, fss_cls.detach())
        stage2 = masked_mse(fss_cls, fss_trpn.detach())
        return self.alpha[0] * stage1 + self.alpha[1] * stage2
