"""Losses of CO2-Net (Hong et al., ACM MM 2021), mask-aware."""
from typing import Optional

import torch
import torch.nn as nn

from mmtrpn.registry import MODELS
from ..utils import append_background, masked_mean, topk_pool


def attention_suppress(logits: torch.Tensor, attn: torch.Tensor
                       ) -> torch.Tensor:
    """CO2-Net's ``_multiply(include_min=True)``.

    ``attn * (x - min_c x) + min_c x``: low attention pulls every class
    logit of a snippet down to that snippet's smallest logit.
    """
    low = logits.min(dim=-1, keepdim=True).values
    return attn.unsqueeze(-1) * (logits - low) + low


@MODELS.register_module()
class TopkSoftmaxMILLoss(nn.Module):
    """Top-k MIL with softmax cross-entropy (W-TALC / CO2-Net ``topkloss``).

    Per video: ``s = mean of the k largest logits over time`` per class
    (``k = max(1, T_valid // ratio)``), ``L = -sum_c y_c log softmax(s)_c``
    with ``y = [labels, background] / (sum + 1e-4)``; mean over the batch.

    Args:
        ratio (float): ``k = T // ratio`` (CO2-Net ``--k``: 7 THUMOS-14, 5
            ActivityNet-1.2).
        background (float): Default target of the background class (CO2-Net
            uses 1 for the plain branch, 0 for the attention-suppressed one).
    """

    def __init__(self, ratio: float = 7, background: float = 1.):
        super().__init__()
        self.ratio = ratio
        self.background = background

    def forward(self, logits: torch.Tensor, labels: torch.Tensor,
                valid: torch.Tensor, background=None) -> torch.Tensor:
        """logits (B, T, C + 1), labels (B, C); ``background`` overrides
        the configured target."""
        video = topk_pool(logits, valid, self.ratio)
        target = append_background(
            labels.to(logits.dtype),
            self.background if background is None else background)
        target = target / (target.sum(-1, keepdim=True) + 1e-4)
        return -(target * torch.log_softmax(video, dim=-1)).sum(-1).mean()


@MODELS.register_module()
class CoActivitySimilarityLoss(nn.Module):
    """Co-activity similarity (W-TALC, CO2-Net ``Contrastive``).

    For each video ``a = softmax_t(logits)`` per class (real snippets only),
    high-attention features ``H = X^T a`` and low ones ``L = X^T (1 - a) /
    max(T - 1, 1)``. For two videos i, j sharing class c, with ``d(u, v) = 1
    - cos(u, v)``: ``0.5 [d(H_i, H_j) - d(H_i, L_j) + m]_+ + 0.5 [d(H_i,
    H_j) - d(H_j, L_i) + m]_+``, summed over shared classes and pairs and
    divided by the number of shared (pair, class) entries.

    Args:
        margin (float): ``m``. Defaults to 0.5.
        num_pairs (int, optional): None: every pair of the batch that
            shares a class takes part. n: only the videos ``(0, 1), (2, 3),
            ..., (2n - 2, 2n - 1)``, the same-class pairs that
            ``ClassPairBatchSampler`` puts at the head of each batch
            (CO2-Net: 3).
    """

    def __init__(self, margin: float = 0.5, eps: float = 1e-8,
                 num_pairs: Optional[int] = None):
        super().__init__()
        if num_pairs is not None and num_pairs < 1:
            raise ValueError('CoActivitySimilarityLoss num_pairs must be None '
                             f'or >= 1, got {num_pairs}')
        self.margin = margin
        self.eps = eps
        self.num_pairs = num_pairs

    def pair_mask(self, batch_size: int, like: torch.Tensor) -> torch.Tensor:
        """(B, B) 1 where video i is paired with a later video j."""
        if self.num_pairs is None:
            return torch.triu(like.new_ones(batch_size, batch_size), 1)
        if 2 * self.num_pairs > batch_size:
            raise ValueError(
                f'CoActivitySimilarityLoss: {self.num_pairs} pairs need a '
                f'batch of >= {2 * self.num_pairs} videos, got {batch_size}')
        mask = like.new_zeros(batch_size, batch_size)
        first = torch.arange(0, 2 * self.num_pairs, 2, device=like.device)
        mask[first, first + 1] = 1
        return mask

    def forward(self, feat: torch.Tensor, logits: torch.Tensor,
                labels: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        """feat (B, T, D), logits (B, T, K), labels (B, K' <= K)."""
        v = valid.to(feat.dtype).unsqueeze(-1)  # (B, T, 1)
        num = valid.sum(-1).to(feat.dtype)
        att = torch.softmax(
            logits.masked_fill(v == 0, float('-inf')), dim=1)
        low = (1 - att) * v / (num - 1).clamp_min(1)[:, None, None]
        high_f = torch.einsum('btd,btk->bkd', feat, att)
        low_f = torch.einsum('btd,btk->bkd', feat, low)

        def cos(a, b):  # (B, K, D) x (B, K, D) -> (B, B, K)
            a = a / a.norm(dim=-1, keepdim=True).clamp_min(self.eps)
            b = b / b.norm(dim=-1, keepdim=True).clamp_min(self.eps)
            return torch.einsum('ikd,jkd->ijk', a, b)

        d_hh = 1 - cos(high_f, high_f)
        d_hl = 1 - cos(high_f, low_f)  # [i, j] = d(H_i, L_j)
        k = labels.shape[-1]
        d_hh, d_hl = d_hh[..., :k], d_hl[..., :k]
        y = labels.to(feat.dtype)
        shared = y[:, None, :] * y[None, :, :]
        weight = shared * self.pair_mask(y.shape[0], y)[..., None]
        hinge = 0.5 * torch.relu(d_hh - d_hl + self.margin) + \
            0.5 * torch.relu(d_hh - d_hl.transpose(0, 1) + self.margin)
        total = weight.sum()
        if total <= 0:
            return feat.sum() * 0
        return (hinge * weight).sum() / total


@MODELS.register_module()
class AttentionNormLoss(nn.Module):
    """``mean_t a``: keeps the attention sparse (CO2-Net ``loss_norm``)."""

    def forward(self, attn: torch.Tensor, valid: torch.Tensor
                ) -> torch.Tensor:
        return masked_mean(attn, valid)


@MODELS.register_module()
class AttentionGuideLoss(nn.Module):
    """``mean_t |1 - a - p_bg|``: attention agrees with the classifier's
    foreground (CO2-Net ``loss_guide``); ``p_bg`` is the background
    probability of the snippet's softmax over classes."""

    def forward(self, attn: torch.Tensor, bg_prob: torch.Tensor,
                valid: torch.Tensor) -> torch.Tensor:
        return masked_mean((1 - attn - bg_prob).abs(), valid)
