"""CO2-Net: cross-modal consensus network (Hong et al., ACM MM 2021)."""
from typing import Callable, Dict, Optional, Sequence

import torch
import torch.nn.functional as F

from mmtrpn.registry import MODELS
from ..losses.co2_losses import attention_suppress
from ..utils import build_with_defaults, call_module, topk_pool
from .base_localizer import BaseWSTALLocalizer


@MODELS.register_module()
class CO2Net(BaseWSTALLocalizer):
    """CO2-Net as a registered WSTAL localizer.

    ``CO2Neck`` (RGB and flow cross-modal consensus modules, their
    attentions, fusion) -> ``CO2ClassifierHead`` (C + 1 logits) ->

    - ``loss_mil_orig``: top-k MIL on the logits, background target 1;
    - ``loss_mil_supp``: top-k MIL on the attention-suppressed logits
      (``attention_suppress``), background target 0;
    - ``loss_co_activity``: co-activity similarity on the fused features and
      the suppressed logits;
    - ``loss_mutual``: RGB and flow attentions teach each other
      (``0.5 MSE(a_rgb, sg(a_flow)) + 0.5 MSE(a_flow, sg(a_rgb))``);
    - ``loss_norm``, ``loss_guide``: mean of the fused, RGB and flow
      attention norm / guide losses.

    With a proposal stage (``source`` other than ``'none'``) the stage
    masks the fused features; the
    classifier on the masked features gives ``loss_mil_proposal`` (average
    over proposal snippets, background 0), and the stage's pseudo-label
    losses use the fused attention as the classifier foreground.

    Inference (CO2-Net): ``s = logits * attn``; video scores = softmax over
    classes of the top-k mean of ``s`` (``k = T // test_cfg.topk_ratio``,
    10); foreground curve = ``attn``; class scores for the OIC score =
    ``s`` without the background column.

    Args:
        num_classes (int): Number of action classes C.
        feature_dims (Sequence[int]): ``(D_rgb, D_flow)``.
        neck (dict): ``CO2Neck`` config; channels default from
            ``feature_dims``.
        cls_head (dict): ``CO2ClassifierHead`` config.
        loss_mil (dict): Config of the top-k MIL loss (``ratio`` = CO2-Net's
            ``k``); the background target is 1 / 0 per branch.
        loss_co_activity, loss_mutual, loss_norm, loss_guide (dict): Loss
            configs.
        loss_weights (dict): Weights, keys of :attr:`DEFAULT_LOSS_WEIGHTS`.
        smooth_kernel (int, optional): CO2-Net on ActivityNet (``ANT_CO2``)
            average-pools logits and attentions over time with this kernel
            (zero padding counted). None: off.
        **kwargs: The contract's arguments (:class:`BaseWSTALLocalizer`):
            ``proposal_stage``, ``loss_proposal_mil``, ``test_cfg`` (merged
            over :attr:`DEFAULT_TEST_CFG`: ``postprocessor``, ``topk_ratio``
            (10) and ``fg_source``: ``'detector'`` the attention, or
            ``'proposal'`` the stage's curve where it has one),
            ``data_preprocessor``, ``init_cfg``.
    """

    DEFAULT_TEST_CFG = dict(
        postprocessor=dict(type='WSTALPostProcessor'), topk_ratio=10,
        fg_source='detector')
    # CO2-Net's alpha1 (norm), alpha2 (guide), alpha3 (co-activity), alpha4
    # (mutual learning); the two MIL terms weigh 1.
    DEFAULT_LOSS_WEIGHTS = dict(
        mil_orig=1.0, mil_supp=1.0, co_activity=1.0, mutual=1.0, norm=0.8,
        guide=0.8, mil_proposal=1.0)

    def __init__(self,
                 num_classes: int,
                 feature_dims: Sequence[int] = (1024, 1024),
                 neck: dict = dict(type='CO2Neck'),
                 cls_head: dict = dict(type='CO2ClassifierHead'),
                 loss_mil: dict = dict(type='TopkSoftmaxMILLoss', ratio=7),
                 loss_co_activity: dict = dict(
                     type='CoActivitySimilarityLoss', margin=0.5),
                 loss_mutual: dict = dict(
                     type='MutualLearningLoss', alpha=(0.5, 0.5)),
                 loss_norm: dict = dict(type='AttentionNormLoss'),
                 loss_guide: dict = dict(type='AttentionGuideLoss'),
                 loss_weights: Optional[dict] = None,
                 smooth_kernel: Optional[int] = None,
                 **kwargs):
        super().__init__(num_classes, feature_dims, loss_weights=loss_weights,
                         **kwargs)
        # the stage first: the order of the random initialisation
        self.init_proposal_stage()
        self.neck = build_with_defaults(
            neck, rgb_channels=self.feature_dims[0],
            flow_channels=self.feature_dims[1])
        self.cls_head = build_with_defaults(
            cls_head, in_channels=self.neck.out_channels,
            num_classes=num_classes)

        self.loss_mil = MODELS.build(loss_mil)
        self.loss_co_activity = MODELS.build(loss_co_activity)
        self.loss_mutual = MODELS.build(loss_mutual)
        self.loss_norm = MODELS.build(loss_norm)
        self.loss_guide = MODELS.build(loss_guide)
        if smooth_kernel is not None and (smooth_kernel < 1
                                          or smooth_kernel % 2 == 0):
            raise ValueError('model.smooth_kernel must be an odd positive '
                             f'int or None, got {smooth_kernel}')
        self.smooth_kernel = smooth_kernel

    # ---------------------------------------------------------------- network
    def _smooth(self, x: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        """Average pooling over time, (B, T, K) or (B, T); padding counts as
        zeros, so a video's values do not depend on its batch."""
        if self.smooth_kernel is None:
            return x
        squeeze = x.dim() == 2
        y = (x.unsqueeze(-1) if squeeze else x)
        y = y * valid.to(y.dtype).unsqueeze(-1)
        k = self.smooth_kernel
        y = F.avg_pool1d(y.transpose(1, 2), k, 1, padding=k // 2,
                         count_include_pad=True).transpose(1, 2)
        y = y * valid.to(y.dtype).unsqueeze(-1)
        return y.squeeze(-1) if squeeze else y

    def extract_feat(self, x: torch.Tensor, valid: torch.Tensor,
                     data_samples=None) -> dict:
        """``feat`` (B, T, D) fused features, ``logits`` (B, T, C + 1),
        ``attn``, ``attn_rgb``, ``attn_flow`` (B, T)."""
        out = self.neck(x, valid)
        out['logits'] = self._smooth(self.cls_head(out['feat'], valid), valid)
        for key in ('attn', 'attn_rgb', 'attn_flow'):
            out[key] = self._smooth(out[key], valid)
        return out

    def classify(self, feat: torch.Tensor, valid: torch.Tensor,
                 call: Callable = call_module) -> torch.Tensor:
        return torch.softmax(call(self.cls_head, feat, valid), dim=-1)

    # ------------------------------------------------------------------- loss
    def loss_by_feat(self, out: dict, labels: torch.Tensor,
                     valid: torch.Tensor, data_samples
                     ) -> Dict[str, torch.Tensor]:
        logits, attn = out['logits'], out['attn']
        w = self.loss_weights
        supp = attention_suppress(logits, attn)
        losses = {}
        losses['loss_mil_orig'] = w['mil_orig'] * self.loss_mil(
            logits, labels, valid, background=1.)
        losses['loss_mil_supp'] = w['mil_supp'] * self.loss_mil(
            supp, labels, valid, background=0.)
        losses['loss_co_activity'] = w['co_activity'] * \
            self.loss_co_activity(out['feat'], supp, labels, valid)
        losses['loss_mutual'] = w['mutual'] * self.loss_mutual(
            out['attn_rgb'], out['attn_flow'], valid)
        bg = torch.softmax(logits, dim=-1)[..., -1]
        attns = (attn, out['attn_rgb'], out['attn_flow'])
        losses['loss_norm'] = w['norm'] * sum(
            self.loss_norm(a, valid) for a in attns) / 3
        losses['loss_guide'] = w['guide'] * sum(
            self.loss_guide(a, bg, valid) for a in attns) / 3
        return losses

    def training_foreground(self, out: dict, valid: torch.Tensor):
        """The fused attention and the softmax of the logits."""
        return out['attn'], torch.softmax(out['logits'], dim=-1)

    # ---------------------------------------------------------------- predict
    def predict_by_feat(self, out: dict, valid: torch.Tensor,
                        proposal: Optional[torch.Tensor]):
        """``s = logits * attn``; video scores the softmax of its top-k
        mean; foreground curve ``attn``."""
        scores = out['logits'] * out['attn'].unsqueeze(-1)
        video = torch.softmax(
            topk_pool(scores, valid, self.test_cfg['topk_ratio']), dim=-1)
        return (scores[..., :self.num_classes],
                video[..., :self.num_classes], out['attn'])
