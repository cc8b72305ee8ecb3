"""The plain top-k MIL baseline as a localizer of its own.

Written against the :class:`BaseWSTALLocalizer` contract as the worked
example of docs/add_detector.md: it holds its network (one snippet
classifier) and its own loss, and inherits padding, the proposal stage,
diagnostics and prediction packing from the base.
"""
from typing import Callable, Dict, Optional, Sequence

import torch

from mmtrpn.registry import MODELS
from ..utils import (append_background, build_with_defaults, call_module,
                     topk_pool)
from .base_localizer import BaseWSTALLocalizer


@MODELS.register_module()
class TopkMIL(BaseWSTALLocalizer):
    """Snippet classifier with top-k multiple-instance learning.

    ``T-CAS = cls_head(X)`` (B, T, C + 1), background last; the video
    probabilities are the mean of the ``k = T // r`` highest snippet
    probabilities per class, and ``loss_mil`` compares them with the video
    labels plus a background target 1 (every video has background). At
    test time the video scores are the top-k means over the C action
    classes and the foreground curve is ``1 - background``.

    Table 3's first row (``DTRPLoc`` without neck and proposals) is this
    model: same parameters drawn in the same order, same loss.

    Args:
        num_classes (int): Number of action classes C.
        feature_dims (Sequence[int]): ``(D_rgb, D_flow)``.
        cls_head (dict): Classifier head config (``MaskedClassifierHead``;
            its ``topk_ratio`` is the training ``r``); ``in_channels`` and
            ``num_classes`` default from the model.
        loss_mil (dict): Video-level loss (``BalancedMILLoss``).
        **kwargs: The contract's arguments (:class:`BaseWSTALLocalizer`):
            ``proposal_stage``, ``loss_proposal_mil``, ``loss_weights``,
            ``test_cfg`` (merged over :attr:`DEFAULT_TEST_CFG`:
            ``postprocessor``, ``fg_source``, ``topk_ratio`` (8) of the video
            scores), ``data_preprocessor``, ``init_cfg``.
    """

    DEFAULT_TEST_CFG = dict(
        postprocessor=dict(type='WSTALPostProcessor'),
        fg_source='detector',
        topk_ratio=8)

    def __init__(self,
                 num_classes: int,
                 feature_dims: Sequence[int] = (1024, 1024),
                 cls_head: dict = dict(type='MaskedClassifierHead'),
                 loss_mil: dict = dict(type='BalancedMILLoss'),
                 **kwargs):
        super().__init__(num_classes, feature_dims, **kwargs)
        self.init_proposal_stage()
        self.cls_head = build_with_defaults(
            cls_head, in_channels=sum(self.feature_dims),
            num_classes=self.num_classes)
        self.loss_mil = MODELS.build(loss_mil)

    def extract_feat(self, x: torch.Tensor, valid: torch.Tensor,
                     data_samples=None) -> dict:
        """``feat``: the input features, zero at padding."""
        return dict(feat=x * valid.unsqueeze(-1))

    def classify(self, feat: torch.Tensor, valid: torch.Tensor,
                 call: Callable = call_module) -> torch.Tensor:
        return call(self.cls_head, feat, valid)

    def loss_by_feat(self, out: dict, labels: torch.Tensor,
                     valid: torch.Tensor, data_samples
                     ) -> Dict[str, torch.Tensor]:
        """``loss_mil`` of the top-k pooled T-CAS (kept in ``out``)."""
        out['tcas'] = self.cls_head(out['feat'], valid)
        video = topk_pool(out['tcas'], valid, self.cls_head.topk_ratio)
        return dict(
            loss_mil=self.loss_mil(video, append_background(labels, 1.)))

    def training_foreground(self, out: dict, valid: torch.Tensor):
        """``1 - background`` of the T-CAS, and the T-CAS."""
        return (1 - out['tcas'][..., -1]) * valid, out['tcas']

    def predict_by_feat(self, out: dict, valid: torch.Tensor,
                        proposal: Optional[torch.Tensor]):
        tcas = self.cls_head(out['feat'], valid)
        cas = tcas[..., :self.num_classes]
        video_scores = topk_pool(cas, valid, self.test_cfg['topk_ratio'])
        return cas, video_scores, (1 - tcas[..., -1]) * valid
