"""Masked ("ROI-like") action classifier head (stage 2, paper Sec. 3.2.2)."""
from typing import Optional

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmtrpn.registry import MODELS


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
        topk_ratio (float): ``r`` of the top-k pooling of its T-CAS over
            the full sequence (``k = T // r``) at training. Defaults to 8.
        init_cfg (dict, optional): MMEngine initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 num_classes: int,
                 hidden: Optional[int] = None,
                 dropout: float = 0.7,
                 topk_ratio: float = 8,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        hidden = in_channels if hidden is None else hidden
        self.num_classes = num_classes
        self.topk_ratio = topk_ratio
        self.f = nn.Conv1d(in_channels, hidden, 3, padding=1)
        self.dropout = nn.Dropout(dropout)
        self.H = nn.Conv1d(hidden, num_classes + 1, 1)

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
