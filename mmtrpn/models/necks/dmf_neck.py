"""Dual-Modality Fusion neck (paper Sec. 3.1, method.md component 1)."""
from typing import Optional

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmtrpn.registry import MODELS
from ..utils import masked_mean


@MODELS.register_module()
class DMFNeck(BaseModule):
    """RGB gives channel attention to flow, flow temporal attention to RGB.

    - ``a_c = sigmoid(MLP(mean_t X_rgb))`` (1 x D_flow), squeeze-excitation
      MLP ``D_rgb -> D_rgb // reduction -> D_flow``;
      ``X_flow+ = X_flow * a_c``.
    - ``a_t = sigmoid(conv(relu(conv(X_flow))))`` (T x 1), convs of kernel
      ``temporal_kernel``, ``D_flow -> temporal_hidden -> 1``;
      ``X_rgb+ = X_rgb * a_t``.
    - Output ``concat(X_rgb+, X_flow+)``, (B, T, D_rgb + D_flow), zero at
      padded snippets.

    Args:
        rgb_channels (int): RGB feature width.
        flow_channels (int): Flow feature width.
        reduction (int): Squeeze ratio of the channel-attention MLP.
            Defaults to 4.
        temporal_hidden (int): Width of the temporal-attention conv.
            Defaults to 512.
        temporal_kernel (int): Kernel size (odd) of the temporal convs.
            Defaults to 3.
        residual (bool): Use ``X * (1 + a)`` instead of ``X * a``.
            Defaults to False.
        init_cfg (dict, optional): MMEngine initialisation config.
    """

    def __init__(self,
                 rgb_channels: int,
                 flow_channels: int,
                 reduction: int = 4,
                 temporal_hidden: int = 512,
                 temporal_kernel: int = 3,
                 residual: bool = False,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        assert temporal_kernel % 2 == 1, 'odd kernel keeps the length'
        self.rgb_channels = rgb_channels
        self.flow_channels = flow_channels
        self.residual = residual
        squeezed = max(1, rgb_channels // reduction)
        self.channel_mlp = nn.Sequential(
            nn.Linear(rgb_channels, squeezed), nn.ReLU(inplace=True),
            nn.Linear(squeezed, flow_channels))
        pad = temporal_kernel // 2
        self.temporal_conv1 = nn.Conv1d(
            flow_channels, temporal_hidden, temporal_kernel, padding=pad)
        self.temporal_conv2 = nn.Conv1d(
            temporal_hidden, 1, temporal_kernel, padding=pad)

    @property
    def out_channels(self) -> int:
        return self.rgb_channels + self.flow_channels

    def attentions(self, x_rgb: torch.Tensor, x_flow: torch.Tensor,
                   valid: torch.Tensor):
        """Return ``(a_c (B, 1, D_flow), a_t (B, T, 1))``."""
        a_c = torch.sigmoid(self.channel_mlp(
            masked_mean(x_rgb, valid.unsqueeze(-1), dim=1)))
        v = valid.to(x_flow.dtype).unsqueeze(1)  # (B, 1, T)
        # zero padding before each temporal conv so it cannot leak into the
        # last real snippets
        h = torch.relu(self.temporal_conv1(x_flow.transpose(1, 2) * v)) * v
        a_t = torch.sigmoid(self.temporal_conv2(h)).transpose(1, 2)
        return a_c.unsqueeze(1), a_t

    def forward(self, x: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        """Fuse the modalities.

        Args:
            x (Tensor): (B, T, D_rgb + D_flow), RGB columns first.
            valid (Tensor): (B, T) 0/1 mask of real snippets.

        Returns:
            Tensor: (B, T, D_rgb + D_flow).
        """
        x_rgb = x[..., :self.rgb_channels]
        x_flow = x[..., self.rgb_channels:]
        assert x_flow.shape[-1] == self.flow_channels, (
            f'expected {self.rgb_channels}+{self.flow_channels} feature '
            f'columns, got {x.shape[-1]}')
        a_c, a_t = self.attentions(x_rgb, x_flow, valid)
        if self.residual:
            a_c, a_t = 1 + a_c, 1 + a_t
        out = torch.cat([x_rgb * a_t, x_flow * a_c], dim=-1)
        return out * valid.to(out.dtype).unsqueeze(-1)
