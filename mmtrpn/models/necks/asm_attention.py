"""Intra- and inter-segment attention of ASM-Loc (He et al., CVPR 2022)."""
from typing import Optional

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmtrpn.registry import MODELS


def masked_softmax(sim: torch.Tensor, allowed: torch.Tensor) -> torch.Tensor:
    """Softmax over the last axis among ``allowed`` entries; a row with none
    allowed is all zeros (ASM-Loc: ``nan_to_num`` after a -inf softmax)."""
    sim = sim.masked_fill(~allowed, float('-inf'))
    any_allowed = allowed.any(-1, keepdim=True)
    sim = torch.where(any_allowed, sim, torch.zeros_like(sim))
    return torch.softmax(sim, dim=-1) * any_allowed.to(sim.dtype)


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

    def _attend(self, x: torch.Tensor, allowed: torch.Tensor) -> torch.Tensor:
        """Multi-head attention of (B, C, N) tokens, (B, N, N) bool mask."""
        b, c, n = x.shape
        q = self.query(x).view(b, self.heads, self.head_dim, n)
        k = self.key(x).view(b, self.heads, self.head_dim, n)
        v = self.value(x).view(b, self.heads, self.head_dim, n)
        sim = torch.einsum('bhdi,bhdj->bhij', q * self.head_dim**-0.5, k)
        attn = masked_softmax(sim, allowed.unsqueeze(1))
        return torch.einsum('bhij,bhdj->bhdi', attn, v).reshape(b, c, n)

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
        """x (B, C, T); membership (B, T, K) 0/1 snippet-in-segment."""
        m = membership.to(x.dtype)
        together = torch.einsum('bik,bjk->bij', m, m) > 0
        return self._residual(x, self._attend(x, together), valid)


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
