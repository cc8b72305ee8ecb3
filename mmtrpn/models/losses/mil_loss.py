"""Label-balanced multiple-instance loss (Eq. 7 / Eq. 13 of the paper)."""
from typing import Optional

import torch
import torch.nn as nn

from mmtrpn.registry import MODELS
from ..utils import masked_mean


@MODELS.register_module()
class BalancedMILLoss(nn.Module):
    """Binary cross-entropy with positives and negatives weighted separately.

    For one video with class probabilities ``p`` and multi-hot labels ``y``
    (background included as the last entry)::

        L = -( sum_i y_i / Y+ * log p_i + sum_i (1 - y_i) / Y- * log(1 - p_i) )

    where ``Y+ = sum_i y_i`` and ``Y- = sum_i (1 - y_i)``, so the few positive
    classes weigh as much as the many negatives. Averaged over the batch.

    Args:
        eps (float): Probabilities are clamped to ``[eps, 1 - eps]`` before
            the logs. Defaults to 1e-6.
    """

    def __init__(self, eps: float = 1e-6):
        super().__init__()
        self.eps = eps

    def forward(self, probs: torch.Tensor, labels: torch.Tensor,
                video_weight: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Compute the loss.

        Args:
            probs (Tensor): Video-level probabilities, shape (B, K).
            labels (Tensor): Multi-hot targets, shape (B, K).
            video_weight (Tensor, optional): (B,) 0/1 weights; videos with
                weight 0 do not count (the mean is over the others, and 0
                when there are none).

        Returns:
            Tensor: Scalar loss.
        """
        labels = labels.to(probs.dtype)
        probs = probs.clamp(self.eps, 1 - self.eps)
        # clamp_min(1) keeps a video with no positive (or no negative) finite
        num_pos = labels.sum(dim=-1, keepdim=True).clamp_min(1.0)
        num_neg = (1 - labels).sum(dim=-1, keepdim=True).clamp_min(1.0)
        pos = labels / num_pos * probs.log()
        neg = (1 - labels) / num_neg * (1 - probs).log()
        per_video = -(pos + neg).sum(dim=-1)
        if video_weight is None:
            return per_video.mean()
        return masked_mean(per_video, video_weight)
