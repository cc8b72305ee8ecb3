"""Losses of ASM-Loc (He et al., CVPR 2022), mask-aware."""
from typing import Dict

import torch
import torch.nn as nn

from mmtrpn.registry import MODELS
from ..utils import append_background, masked_mean


def soft_cross_entropy(probs: torch.Tensor, target: torch.Tensor,
                       eps: float = 1e-7) -> torch.Tensor:
    """``-sum_c target_c log p_c`` over the last axis (no reduction)."""
    return -(probs.clamp_min(eps).log() * target).sum(-1)


@MODELS.register_module()
class ASMLocMILLoss(nn.Module):
    """Foreground, background and action-background video losses.

    With ``y_fg = [y, 0] / |y|`` and ``y_bg = [0, ..., 0, 1]``::

        L = l_fg CE(fg_cls, y_fg) + l_bg CE(bg_cls, y_bg)
            + l_abg CE(bg_cls, y_fg)

    each cross-entropy averaged over the batch; ``fg_cls`` / ``bg_cls`` are
    the softmax of the top-k pooled attention-weighted logits.

    Args:
        lamb_fg, lamb_bg, lamb_abg (float): Weights (THUMOS-14: 1, 0.5, 0.5;
            ActivityNet: 5, 0.5, 0.5).
    """

    def __init__(self, lamb_fg: float = 1.0, lamb_bg: float = 0.5,
                 lamb_abg: float = 0.5):
        super().__init__()
        self.weights = dict(fg=lamb_fg, bg=lamb_bg, abg=lamb_abg)

    def forward(self, fg_cls: torch.Tensor, bg_cls: torch.Tensor,
                labels: torch.Tensor) -> Dict[str, torch.Tensor]:
        labels = labels.to(fg_cls.dtype)
        fg = append_background(labels, 0.)
        fg = fg / fg.sum(-1, keepdim=True).clamp_min(1e-6)
        bg = append_background(torch.zeros_like(labels), 1.)
        terms = dict(fg=soft_cross_entropy(fg_cls, fg).mean(),
                     bg=soft_cross_entropy(bg_cls, bg).mean(),
                     abg=soft_cross_entropy(bg_cls, fg).mean())
        return {f'loss_{k}': self.weights[k] * v for k, v in terms.items()}


@MODELS.register_module()
class UncertaintyPseudoInstanceLoss(nn.Module):
    """Pseudo-instance-level loss with uncertainty (ASM-Loc Eq. 8-9)::

        L = mean_t( exp(-u_t) CE(cas_t, q_t) ) + beta mean_t(u_t)

    over real snippets; ``q_t`` is the L1-normalised pseudo label (the
    segment classes, or background outside every pseudo segment) and
    ``u_t`` the predicted log-variance.

    Args:
        beta (float): Weight of the uncertainty regulariser (0.2).
    """

    def __init__(self, beta: float = 0.2):
        super().__init__()
        self.beta = beta

    def forward(self, cas: torch.Tensor, target: torch.Tensor,
                uncertainty: torch.Tensor, valid: torch.Tensor
                ) -> torch.Tensor:
        """cas, target (B, T, C + 1); uncertainty, valid (B, T)."""
        ce = soft_cross_entropy(cas, target) * torch.exp(-uncertainty)
        return masked_mean(ce + self.beta * uncertainty, valid)
