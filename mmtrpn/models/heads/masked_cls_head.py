"""Masked ("ROI-like") action classifier head (stage 2, paper Sec. 3.2.2)."""
from typing import Optional

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmtrpn.registry import MODELS


def masked_avg_pool(tcas: torch.Tensor, mask: torch.Tensor,
                    valid: torch.Tensor) -> torch.Tensor:
    """Eq. 6: average of the T-CAS over proposal snippets.

    A video whose proposal mask is empty gets the average over all its valid
    snippets, only to stay finite: the localizer leaves such videos out of
    the loss (``TemporalProposalStage.empty_mask``). The mask's
    straight-through gradient flows through both sums.

    Args:
        tcas (Tensor): (B, T, K) per-snippet class probabilities.
        mask (Tensor): (B, T) proposal mask (0/1, may carry gradient).
        valid (Tensor): (B, T) 0/1 mask of real snippets.

    Returns:
        Tensor: (B, K) video-level probabilities.
    """
    valid = valid.to(tcas.dtype)
    mask = mask * valid
    empty = mask.detach().sum(-1, keepdim=True) <= 0
    weight = torch.where(empty, valid, mask)
    num = (tcas * weight.unsqueeze(-1)).sum(1)
    return num / weight.sum(-1, keepdim=True).clamp_min(1e-6)


def topk_pool(tcas: torch.Tensor, valid: torch.Tensor,
              ratio: float = 8) -> torch.Tensor:
    """Eq. 12: mean of the k highest scores per class over valid snippets.

    ``k = max(1, T_valid // ratio)`` per video, so padding neither enters
    the top-k nor changes k.

    Args:
        tcas (Tensor): (B, T, K) per-snippet scores.
        valid (Tensor): (B, T) 0/1 mask of real snippets.
        ratio (float): ``r`` in ``k = T // r``. Defaults to 8.

    Returns:
        Tensor: (B, K).
    """
    num_valid = valid.sum(-1).long()  # (B,)
    k = torch.clamp(torch.div(num_valid, ratio, rounding_mode='floor'),
                    min=1).long()
    filled = tcas.masked_fill(~valid.bool().unsqueeze(-1), float('-inf'))
    ranked = filled.sort(dim=1, descending=True).values  # (B, T, K)
    rank = torch.arange(tcas.shape[1], device=tcas.device)
    keep = (rank.unsqueeze(0) < k.unsqueeze(1)).to(tcas.dtype)  # (B, T)
    # where() drops the -inf rows (never selected since k <= T_valid)
    ranked = torch.where(keep.unsqueeze(-1) > 0, ranked,
                         torch.zeros_like(ranked))
    return ranked.sum(1) / k.unsqueeze(-1).to(tcas.dtype)


@MODELS.register_module()
class MaskedClassifierHead(BaseModule):
    """Shared snippet classifier producing a T-CAS with a background class.

    ``T-CAS = softmax_classes(H(dropout(relu(f(X)))))`` with ``f`` a conv k3
    (in -> hidden) and ``H`` a conv k1 (hidden -> C + 1); the last class is
    background. The same head (same weights) serves the masked stage-2
    branch and the full-sequence ACoL branch.

    Args:
        in_channels (int): Input feature width.
        num_classes (int): Number of action classes C (background excluded).
        hidden (int, optional): Width of ``f``; None means ``in_channels``.
        dropout (float): Dropout ratio after ``f``. Defaults to 0.7.
        topk_ratio (float): ``r`` of the top-k pooling. Defaults to 8.
        loss_mil (dict): Config of the video-level loss.
            Defaults to ``dict(type='BalancedMILLoss')``.
        init_cfg (dict, optional): MMEngine initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 num_classes: int,
                 hidden: Optional[int] = None,
                 dropout: float = 0.7,
                 topk_ratio: float = 8,
                 loss_mil: dict = dict(type='BalancedMILLoss'),
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        hidden = in_channels if hidden is None else hidden
        self.num_classes = num_classes
        self.topk_ratio = topk_ratio
        self.f = nn.Conv1d(in_channels, hidden, 3, padding=1)
        self.dropout = nn.Dropout(dropout)
        self.H = nn.Conv1d(hidden, num_classes + 1, 1)
        self.loss_mil = MODELS.build(loss_mil)

    def forward(self, x: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        """T-CAS probabilities.

        Args:
            x (Tensor): (B, T, D) features (already proposal-masked or not).
            valid (Tensor): (B, T) 0/1 mask of real snippets.

        Returns:
            Tensor: (B, T, C + 1) class probabilities, background last.
        """
        v = valid.to(x.dtype).unsqueeze(1)
        h = self.dropout(torch.relu(self.f(x.transpose(1, 2) * v)))
        logits = self.H(h).transpose(1, 2)
        return torch.softmax(logits, dim=-1)

    def masked_avg_pool(self, tcas, mask, valid):
        return masked_avg_pool(tcas, mask, valid)

    def topk_pool(self, tcas, valid, ratio=None):
        return topk_pool(tcas, valid,
                         self.topk_ratio if ratio is None else ratio)

    def loss(self, video_probs: torch.Tensor, labels: torch.Tensor,
             background: float,
             video_weight: Optional[torch.Tensor] = None) -> torch.Tensor:
        """MIL loss of ``labels`` (B, C) with the background target added;
        videos of ``video_weight`` 0 do not count."""
        bg = labels.new_full((labels.shape[0], 1), background)
        return self.loss_mil(video_probs, torch.cat([labels, bg], dim=-1),
                             video_weight)
