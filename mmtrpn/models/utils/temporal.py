"""Temporal ops on padded batches, shared by heads, necks, losses, the
proposal stage and the localizers.

A batch is ``(B, T, ...)`` with a ``valid`` mask (B, T) that is 1 on real
snippets and 0 on padding; every op here keeps a video's result independent
of what it was batched with.
"""
from typing import Optional, Sequence, Tuple, Union

import torch


def pad_inputs(inputs: Union[torch.Tensor, Sequence[torch.Tensor]]
               ) -> Tuple[torch.Tensor, torch.Tensor]:
    """Zero-pad a list of (T_i, D) tensors to (B, T_max, D) with a (B, T)
    mask.

    A stacked (B, T, D) tensor (or one (T, D) video) is returned as
    (B, T, D) with an all-ones mask.
    """
    if isinstance(inputs, torch.Tensor):
        if inputs.dim() == 2:
            inputs = inputs.unsqueeze(0)
        return inputs, inputs.new_ones(inputs.shape[:2])
    lengths = [int(x.shape[0]) for x in inputs]
    ref = inputs[0]
    x = ref.new_zeros((len(inputs), max(lengths), ref.shape[-1]))
    valid = ref.new_zeros((len(inputs), max(lengths)))
    for i, (feat, length) in enumerate(zip(inputs, lengths)):
        x[i, :length] = feat
        valid[i, :length] = 1
    return x, valid


def masked_mean(x: torch.Tensor, mask: torch.Tensor,
                dim: Optional[int] = None,
                keepdim: bool = False) -> torch.Tensor:
    """``sum(x * m) / max(sum(m), 1)`` over ``dim`` (all entries if None).

    ``mask`` broadcasts against ``x`` and is summed unexpanded, e.g. the
    mean over time of (B, T, D) features is ``masked_mean(x,
    valid.unsqueeze(-1), dim=1)`` (B, D), of (B, T) curves ``masked_mean(x,
    valid, dim=-1)`` (B,), and over every real snippet of a batch
    ``masked_mean(x, valid)`` (scalar). An all-zero mask gives 0.
    """
    mask = mask.to(x.dtype)
    if dim is None:
        return (x * mask).sum() / mask.sum().clamp_min(1)
    return (x * mask).sum(dim, keepdim=keepdim) / mask.sum(
        dim, keepdim=keepdim).clamp_min(1)


def topk_pool(scores: torch.Tensor, valid: torch.Tensor,
              ratio: float = 8) -> torch.Tensor:
    """Mean of the k highest scores per class over valid snippets (Eq. 12).

    ``k = max(1, T_valid // ratio)`` per video, so padding neither enters
    the top-k nor changes k.

    Args:
        scores (Tensor): (B, T, K) per-snippet scores.
        valid (Tensor): (B, T) 0/1 mask of real snippets.
        ratio (float): ``r`` in ``k = T // r``. Defaults to 8.

    Returns:
        Tensor: (B, K).
    """
    num_valid = valid.sum(-1).long()  # (B,)
    k = torch.clamp(torch.div(num_valid, ratio, rounding_mode='floor'),
                    min=1).long()
    filled = scores.masked_fill(~valid.bool().unsqueeze(-1), float('-inf'))
    ranked = filled.sort(dim=1, descending=True).values  # (B, T, K)
    rank = torch.arange(scores.shape[1], device=scores.device)
    keep = (rank.unsqueeze(0) < k.unsqueeze(1)).to(scores.dtype)  # (B, T)
    # where() drops the -inf rows (never selected since k <= T_valid)
    ranked = torch.where(keep.unsqueeze(-1) > 0, ranked,
                         torch.zeros_like(ranked))
    return ranked.sum(1) / k.unsqueeze(-1).to(scores.dtype)


def top_fraction_mask(scores: torch.Tensor, valid: torch.Tensor,
                      fraction: float) -> torch.Tensor:
    """(B, T) 0/1: the ``k = max(1, floor(fraction * T_valid))`` highest
    ``scores`` (B, T) of each video's valid snippets, by rank.

    A rank, not a level: the share kept does not depend on how high the
    scores are. Ties go to the earlier snippet; padding is never kept.
    """
    num_valid = valid.sum(-1)
    k = torch.clamp(torch.floor(num_valid * fraction), min=1)  # (B,)
    filled = scores.masked_fill(valid <= 0, float('-inf'))
    order = filled.argsort(dim=-1, descending=True, stable=True)
    rank = torch.empty_like(order).scatter_(
        1, order, torch.arange(scores.shape[1], device=scores.device)
        .expand_as(order).contiguous())
    return ((rank < k.unsqueeze(-1)) & (valid > 0)).to(scores.dtype)


def masked_avg_pool(probs: torch.Tensor, mask: torch.Tensor,
                    valid: torch.Tensor) -> torch.Tensor:
    """Average of per-snippet probabilities over a proposal mask (Eq. 6).

    A video whose mask is empty gets the average over all its valid
    snippets, only to stay finite: the localizer leaves such videos out of
    the loss (``TemporalProposalStage.empty_mask``). The mask's
    straight-through gradient flows through both sums.

    Args:
        probs (Tensor): (B, T, K) per-snippet class probabilities.
        mask (Tensor): (B, T) proposal mask (0/1, may carry gradient).
        valid (Tensor): (B, T) 0/1 mask of real snippets.

    Returns:
        Tensor: (B, K) video-level probabilities.
    """
    valid = valid.to(probs.dtype)
    mask = mask * valid
    empty = mask.detach().sum(-1, keepdim=True) <= 0
    weight = torch.where(empty, valid, mask)
    num = (probs * weight.unsqueeze(-1)).sum(1)
    return num / weight.sum(-1, keepdim=True).clamp_min(1e-6)


def append_background(labels: torch.Tensor,
                      background: float) -> torch.Tensor:
    """(B, C) video labels -> (B, C + 1) with the background target
    ``background`` as the last column."""
    bg = labels.new_full((labels.shape[0], 1), float(background))
    return torch.cat([labels, bg], dim=-1)
