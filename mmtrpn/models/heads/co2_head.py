"""CO2-Net's snippet classifier with a background class."""
from typing import Optional

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmtrpn.registry import MODELS
from ..utils import CO2_INIT


@MODELS.register_module()
class CO2ClassifierHead(BaseModule):
    """``logits = conv_k1(dropout(LReLU(conv_k3(dropout(X)))))``, C + 1 wide.

    Returns raw logits (CO2-Net's losses take log-softmax of pooled logits).

    Args:
        in_channels (int): Width of the fused features.
        num_classes (int): Number of action classes C (background excluded).
        hidden (int, optional): Width of the k3 conv; None = in_channels.
        dropout (float): The dropouts before both convs. Defaults to 0.7.
    """

    def __init__(self,
                 in_channels: int,
                 num_classes: int,
                 hidden: Optional[int] = None,
                 dropout: float = 0.7,
                 init_cfg: Optional[dict] = CO2_INIT):
        super().__init__(init_cfg=init_cfg)
        hidden = in_channels if hidden is None else hidden
        self.num_classes = num_classes
        self.conv = nn.Conv1d(in_channels, hidden, 3, padding=1)
        self.cls = nn.Conv1d(hidden, num_classes + 1, 1)
        self.act = nn.LeakyReLU(0.2)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        """(B, T, D) features -> (B, T, C + 1) logits (0 at padding)."""
        v = valid.to(x.dtype).unsqueeze(1)
        h = self.dropout(x.transpose(1, 2)) * v
        h = self.dropout(self.act(self.conv(h)))
        logits = self.cls(h) * v
        return logits.transpose(1, 2)
