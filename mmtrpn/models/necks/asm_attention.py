"""Intra- and inter-segment attention of ASM-Loc (He et al., CVPR 2022)."""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmtrpn.registry import MODELS


def masked_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                     allowed: torch.Tensor) -> torch.Tensor:
    """Scaled dot-product attention of (..., N, d) tensors among the
    ``allowed`` (..., N, N) pairs; a row with none allowed gives 0 (ASM-Loc:
    ``nan_to_num`` after a -inf softmax).

    Such rows attend to themselves inside the fused kernel (it needs one
    finite entry per row), then are zeroed.
    """
    any_allowed = allowed.any(-1, keepdim=True)
    n = allowed.shape[-1]
    self_only = torch.eye(n, dtype=torch.bool, device=allowed.device)
    safe = allowed | (self_only & ~any_allowed)
    # contiguous: CUDA's memory-efficient kernel rejects strided views
    out = F.scaled_dot_product_attention(
        q.contiguous(), k.contiguous(), v.contiguous(), attn_mask=safe)
    return out * any_allowed.to(out.dtype)


def segment_blocks(member: torch.Tensor):
    """Runs of rows that hold every pair of rows sharing a segment.

    ``member`` (B, T, K) bool. Each segment spans its first to its last
    row; overlapping (or touching) spans merge into one block, so two rows
    in a common segment always share a block and attention never needs to
    look across blocks. Rows in no span are in no block.

    Returns ``(batch, start, length)``, each (R, ): the video, first row
    and row count of every block.
    """
    b, t, _ = member.shape
    order = torch.arange(t, device=member.device)[None, :, None]
    present = member.any(1)  # (B, K)
    first = torch.where(member, order, t).amin(1)
    last = torch.where(member, order, -1).amax(1)
    edges = torch.zeros(b, t + 1, dtype=torch.long, device=member.device)
    edges.scatter_add_(1, first, present.long())
    edges.scatter_add_(1, last + 1, -present.long())
    cover = edges[:, :t].cumsum(1) > 0  # (B, T)
    pad = cover.new_zeros(b, 1)
    starts = (cover & ~torch.cat([pad, cover[:, :-1]], 1)).nonzero()
    ends = (cover & ~torch.cat([cover[:, 1:], pad], 1)).nonzero()
    return starts[:, 0], starts[:, 1], ends[:, 1] - starts[:, 1] + 1


class _SegmentMHSA(BaseModule):
    """Shared parts: k1 query/key/value/output convs and a zero-initialised
    batch norm on the residual branch (the block starts as the identity).

    The batch norm sees the real columns only, so padding of a batch does
    not enter its statistics.
    """

    def __init__(self, channels: int, heads: int = 8,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if channels % heads:
            raise ValueError(f'channels ({channels}) must be divisible by '
                             f'heads ({heads})')
        self.heads = heads
        self.head_dim = channels // heads
        self.query = nn.Conv1d(channels, channels, 1)
        self.key = nn.Conv1d(channels, channels, 1)
        self.value = nn.Conv1d(channels, channels, 1)
        self.out = nn.Conv1d(channels, channels, 1)
        self.bn = nn.BatchNorm1d(channels)
        nn.init.zeros_(self.bn.weight)
        nn.init.zeros_(self.bn.bias)

    def _attend(self, x: torch.Tensor, allowed: torch.Tensor,
                attention=masked_attention) -> torch.Tensor:
        """Multi-head attention of (B, C, N) tokens, (B, N, N) bool mask;
        ``attention`` ``(q, k, v, allowed)`` (tests and benchmarks pass the
        plain reference)."""
        b, c, n = x.shape
        q, k, v = (conv(x).view(b, self.heads, self.head_dim, n).transpose(
            2, 3) for conv in (self.query, self.key, self.value))
        out = attention(q, k, v, allowed.unsqueeze(1))
        return out.transpose(2, 3).reshape(b, c, n)

    def _residual(self, x: torch.Tensor, y: torch.Tensor,
                  valid: torch.Tensor) -> torch.Tensor:
        """``x + BN(out(y))`` on real columns; padding stays 0."""
        y = self.out(y).transpose(1, 2)  # (B, T, C)
        keep = valid.bool()
        normed = torch.zeros_like(y)
        normed[keep] = self.bn(y[keep])
        return (x + normed.transpose(1, 2)) * valid.to(x.dtype).unsqueeze(1)


@MODELS.register_module()
class IntraSegmentAttention(_SegmentMHSA):
    """Self-attention among the snippets of the same action segment.

    Snippets in no segment attend to nothing: the residual branch adds only
    ``BN(out(0))``, as in ASM-Loc.
    """

    def forward(self, x: torch.Tensor, membership: torch.Tensor,
                valid: torch.Tensor) -> torch.Tensor:
        """x (B, C, T); membership (B, T, K) 0/1 snippet-in-segment.

        Same result as attention over the full (T, T) grid with the mask
        "shares a segment", computed per block of :func:`segment_blocks`:
        O(sum of block lengths squared) instead of O(T^2) per video.
        """
        member = membership.bool() & valid.bool().unsqueeze(-1)
        return self._residual(x, self._attend_blocks(x, member), valid)

    def _attend_blocks(self, x: torch.Tensor,
                       member: torch.Tensor) -> torch.Tensor:
        b, c, t = x.shape
        batch, start, length = segment_blocks(member)
        qkv = [conv(x).view(b, self.heads, self.head_dim, t).permute(
            0, 3, 1, 2) for conv in (self.query, self.key, self.value)]
        # (B, T, heads, dim): rows gathered below, heads moved before them
        # blocks padded to a shared width in buckets of lengths within a
        # factor 2, so one long block does not pad all the short ones
        bucket = torch.ceil(torch.log2(length.double())).long()
        flat, outs = [], []
        for level in bucket.unique().tolist():
            pick = (bucket == level).nonzero()[:, 0]
            offset = torch.arange(int(length[pick].max()), device=x.device)
            in_block = offset[None] < length[pick, None]
            rows = (start[pick, None] + offset[None]).clamp(max=t - 1)
            video = batch[pick, None]
            q, k, v = (y[video, rows].transpose(1, 2) for y in qkv)
            m = member[video, rows].to(x.dtype)  # (R, L, K)
            together = (torch.einsum('rik,rjk->rij', m, m) > 0) & \
                in_block[:, :, None] & in_block[:, None, :]
            out = masked_attention(q, k, v, together.unsqueeze(1))
            out = out.transpose(1, 2)  # (R, L, heads, dim)
            flat.append((video * t + rows)[in_block])
            outs.append(out[in_block].reshape(-1, c))
        dense = x.new_zeros(b * t, c)
        if flat:
            dense = dense.index_put((torch.cat(flat), ), torch.cat(outs))
        else:
            # No video of the batch has a segment: the q/k/v convs still
            # get a (zero) gradient, as data-parallel training without
            # find_unused_parameters needs every parameter to get one.
            dense = dense + sum(y.sum() for y in qkv) * 0
        return dense.view(b, t, c).transpose(1, 2)


@MODELS.register_module()
class InterSegmentAttention(_SegmentMHSA):
    """Self-attention among segments (each the mean of its snippets), spread
    back to each snippet as the mean over the segments holding it."""

    def forward(self, x: torch.Tensor, membership: torch.Tensor,
                valid: torch.Tensor) -> torch.Tensor:
        """x (B, C, T); membership (B, T, K) 0/1, all-zero columns are
        empty segment slots."""
        m = membership.to(x.dtype)
        seg_valid = m.sum(1) > 0  # (B, K)
        pooled = torch.einsum('bct,btk->bck', x,
                              m / m.sum(1, keepdim=True).clamp_min(1e-5))
        allowed = seg_valid.unsqueeze(1) & seg_valid.unsqueeze(2)
        mixed = self._attend(pooled, allowed)  # (B, C, K)
        back = m / m.sum(2, keepdim=True).clamp_min(1e-5)  # (B, T, K)
        y = torch.einsum('bck,btk->bct', mixed, back)
        return self._residual(x, y, valid)
