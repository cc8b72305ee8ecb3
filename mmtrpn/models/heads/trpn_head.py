"""Temporal region proposal network head (stage 1, paper Sec. 3.2.1)."""
from typing import Optional

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmtrpn.registry import MODELS


@MODELS.register_module()
class TRPNHead(BaseModule):
    """Per-snippet foreground classifier ``g`` and proposal-mask sampler.

    ``g``: conv k3 (in -> hidden), LeakyReLU, dropout, conv k3
    (hidden -> hidden), LeakyReLU, dropout, conv k1 (hidden -> 1).
    Dropout sits after each hidden activation (as in CO2-Net/DELU attention
    branches) so the scalar output itself is never dropped.
    ``FSS_trpn = sigmoid(g(X))``, shape (B, T).

    Training mask: straight-through Gumbel-softmax over the two classes
    ``[log p, log(1 - p)]`` at temperature ``tau``: exactly 0/1 in the
    forward pass, gradient of the soft sample in the backward pass.
    ``noise='normal'`` adds standard normal noise to the two logits instead
    (the paper's Eq. 3 writes ``log(p + N)``, undefined for negative noise;
    we read it as noise added to the log-probabilities).
    ``train_mask_bias`` b (an option, not the paper) lowers the foreground
    logit of the training sampler to ``log p - b``: a snippet then enters the
    training mask with probability ``p e^-b / (p e^-b + 1 - p)``, while
    ``FSS_trpn`` itself (the inference curve) is unchanged. ``b = 0`` is the
    paper's sampler (Eq. 3) and the default.

    Inference mask: ``FSS_trpn > infer_threshold``.

    Args:
        in_channels (int): Input feature width.
        hidden (int): Hidden width. Defaults to 512.
        dropout (float): Dropout ratio. Defaults to 0.5.
        tau (float): Gumbel-softmax temperature. Defaults to 0.1.
        noise (str): ``'gumbel'`` or ``'normal'``. Defaults to 'gumbel'.
        infer_threshold (float): Threshold of the inference mask.
            Defaults to 0.5.
        train_mask_bias (float): Bias b subtracted from the foreground logit
            of the training sampler. Defaults to 0 (the paper's sampler).
        eps (float): Clamp for probabilities inside logs. Defaults to 1e-6.
        init_cfg (dict, optional): MMEngine initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 hidden: int = 512,
                 dropout: float = 0.5,
                 tau: float = 0.1,
                 noise: str = 'gumbel',
                 infer_threshold: float = 0.5,
                 train_mask_bias: float = 0.0,
                 eps: float = 1e-6,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if noise not in ('gumbel', 'normal'):
            raise ValueError(f'noise must be gumbel or normal, got {noise}')
        assert tau > 0
        self.tau = tau
        self.noise = noise
        self.infer_threshold = infer_threshold
        self.train_mask_bias = train_mask_bias
        self.eps = eps
        self.conv1 = nn.Conv1d(in_channels, hidden, 3, padding=1)
        self.conv2 = nn.Conv1d(hidden, hidden, 3, padding=1)
        self.conv_out = nn.Conv1d(hidden, 1, 1)
        self.act = nn.LeakyReLU(0.2)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        """Foreground scores.

        Args:
            x (Tensor): (B, T, D) features.
            valid (Tensor): (B, T) 0/1 mask of real snippets.

        Returns:
            Tensor: (B, T) ``FSS_trpn`` in [0, 1] (0 at padded snippets).
        """
        v = valid.to(x.dtype).unsqueeze(1)  # (B, 1, T)
        # re-zero padding before every k3 conv: batching must not change
        # a video's scores
        h = self.dropout(self.act(self.conv1(x.transpose(1, 2) * v))) * v
        h = self.dropout(self.act(self.conv2(h)))
        fss = torch.sigmoid(self.conv_out(h)).squeeze(1)
        return fss * valid.to(fss.dtype)

    def sample_mask(self, fss: torch.Tensor,
                    valid: torch.Tensor) -> torch.Tensor:
        """Straight-through stochastic proposal mask for training, (B, T)."""
        p = fss.clamp(self.eps, 1 - self.eps)
        logits = torch.stack([p.log() - self.train_mask_bias,
                              (1 - p).log()], dim=-1)  # fg, bg
        if self.noise == 'gumbel':
            # -log(Exp(1)) is Gumbel(0, 1)
            noise = -torch.empty_like(logits).exponential_().log()
        else:
            noise = torch.randn_like(logits)
        soft = torch.softmax((logits + noise) / self.tau, dim=-1)
        hard = (soft[..., 0] >= soft[..., 1]).to(soft.dtype)
        fg_soft = soft[..., 0]
        # (soft - soft.detach()) is exactly 0, so the forward value is hard
        mask = hard + (fg_soft - fg_soft.detach())
        return mask * valid.to(mask.dtype)

    def predict_mask(self, fss: torch.Tensor,
                     valid: torch.Tensor) -> torch.Tensor:
        """Deterministic proposal mask for inference, (B, T) in {0, 1}."""
        return (fss > self.infer_threshold).to(fss.dtype) * valid.to(
            fss.dtype)
