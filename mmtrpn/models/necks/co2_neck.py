"""Cross-modal consensus modules of CO2-Net (Hong et al., ACM MM 2021)."""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmtrpn.registry import MODELS
from ..utils import CO2_INIT, masked_mean



@MODELS.register_module()
class CrossModalConsensus(BaseModule):
    """One cross-modal consensus module: filter a modality by the other.

    ``g = conv_k3(mean_t X_main)`` (global context of the main modality),
    ``l = conv_k3(X_other)`` (local cross-modal cue), both LeakyReLU(0.2) and
    dropout 0.5; ``X_main' = sigmoid(g * l) * X_main``; the modality's
    attention ``a = sigmoid(dropout(conv_k1(LReLU(conv_k3(dropout(LReLU(
    conv_k3(X_main'))))))))``.

    Args:
        main_channels (int): Width of the filtered modality.
        other_channels (int): Width of the guiding modality.
        attention_hidden (int): Width of the attention convs. Defaults to
            512.
        dropout (float): Dropout of the module. Defaults to 0.5.
    """

    def __init__(self,
                 main_channels: int,
                 other_channels: int,
                 attention_hidden: int = 512,
                 dropout: float = 0.5,
                 init_cfg: Optional[dict] = CO2_INIT):
        super().__init__(init_cfg=init_cfg)
        self.global_conv = nn.Conv1d(main_channels, main_channels, 3,
                                     padding=1)
        self.local_conv = nn.Conv1d(other_channels, main_channels, 3,
                                    padding=1)
        self.att_conv1 = nn.Conv1d(main_channels, attention_hidden, 3,
                                   padding=1)
        self.att_conv2 = nn.Conv1d(attention_hidden, attention_hidden, 3,
                                   padding=1)
        self.att_out = nn.Conv1d(attention_hidden, 1, 1)
        self.act = nn.LeakyReLU(0.2)
        self.dropout = nn.Dropout(dropout)

    def forward(self, main: torch.Tensor, other: torch.Tensor,
                valid: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Filter ``main`` (B, D_main, T) by ``other`` (B, D_other, T).

        Returns:
            tuple: attention (B, T) in [0, 1] (0 at padding) and the filtered
            features (B, D_main, T) (0 at padding).
        """
        v = valid.to(main.dtype).unsqueeze(1)
        main, other = main * v, other * v
        context = self.dropout(self.act(self.global_conv(
            masked_mean(main, valid.unsqueeze(1), dim=-1, keepdim=True))))
        local = self.dropout(self.act(self.local_conv(other)))
        filtered = torch.sigmoid(local * context) * main
        # re-zero padding before every k3 conv: batching must not change
        # a video's output
        h = self.dropout(self.act(self.att_conv1(filtered))) * v
        h = self.act(self.att_conv2(h))
        att = torch.sigmoid(self.dropout(self.att_out(h))).squeeze(1)
        return att * valid.to(att.dtype), filtered


@MODELS.register_module()
class CO2Neck(BaseModule):
    """RGB and flow consensus modules, then the fusion layer of CO2-Net.

    Input ``(B, T, D_rgb + D_flow)``, RGB first. The RGB module filters RGB
    by flow and the flow module filters flow by RGB; the filtered streams are
    concatenated and fused by conv k1, LeakyReLU(0.2), dropout.

    Args:
        rgb_channels (int): D_rgb.
        flow_channels (int): D_flow.
        attention_hidden (int): Width of each attention branch (512).
        consensus_dropout (float): Dropout inside the modules (0.5).
        fusion_dropout (float): Dropout after the fusion conv (0.7).
    """

    def __init__(self,
                 rgb_channels: int = 1024,
                 flow_channels: int = 1024,
                 attention_hidden: int = 512,
                 consensus_dropout: float = 0.5,
                 fusion_dropout: float = 0.7,
                 init_cfg: Optional[dict] = CO2_INIT):
        super().__init__(init_cfg=init_cfg)
        self.channels: Sequence[int] = (int(rgb_channels), int(flow_channels))
        self.rgb_consensus = CrossModalConsensus(
            rgb_channels, flow_channels, attention_hidden, consensus_dropout)
        self.flow_consensus = CrossModalConsensus(
            flow_channels, rgb_channels, attention_hidden, consensus_dropout)
        width = sum(self.channels)
        self.fusion = nn.Conv1d(width, width, 1)
        self.act = nn.LeakyReLU(0.2)
        self.dropout = nn.Dropout(fusion_dropout)

    @property
    def out_channels(self) -> int:
        return sum(self.channels)

    def forward(self, x: torch.Tensor, valid: torch.Tensor) -> dict:
        """Fused features and the three attentions.

        Returns:
            dict: ``feat`` (B, T, D_rgb + D_flow) fused features (0 at
            padding), ``attn`` (B, T) = mean of ``attn_rgb`` and
            ``attn_flow`` (B, T).
        """
        d_rgb = self.channels[0]
        x = x.transpose(1, 2)
        rgb, flow = x[:, :d_rgb], x[:, d_rgb:]
        attn_rgb, rgb_f = self.rgb_consensus(rgb, flow, valid)
        attn_flow, flow_f = self.flow_consensus(flow, rgb, valid)
        fused = self.dropout(self.act(self.fusion(torch.cat([rgb_f, flow_f],
                                                            1))))
        fused = fused * valid.to(fused.dtype).unsqueeze(1)
        return dict(
            feat=fused.transpose(1, 2),
            attn=(attn_rgb + attn_flow) / 2,
            attn_rgb=attn_rgb,
            attn_flow=attn_flow)
