"""CO2-Net: cross-modal consensus network (Hong et al., ACM MM 2021)."""
import copy
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn.functional as F

from mmtrpn.registry import MODELS
from ..heads.masked_cls_head import topk_pool
from ..losses.co2_losses import attention_suppress
from .base_localizer import BaseWSTALLocalizer
from .dtrp_loc import check_choice, merge_defaults, pad_inputs

# CO2-Net's alpha1 (norm), alpha2 (guide), alpha3 (co-activity), alpha4
# (mutual learning); the two MIL terms weigh 1.
_DEFAULT_LOSS_WEIGHTS = dict(
    mil_orig=1.0, mil_supp=1.0, co_activity=1.0, mutual=1.0, norm=0.8,
    guide=0.8, mil_proposal=1.0)
# 'proposal': the proposal stage's foreground curve where it has one
FG_SOURCES = ('attention', 'proposal')


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

    With ``proposal_stage`` the stage masks the fused features; the
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
        loss_weights (dict): Weights, keys of ``_DEFAULT_LOSS_WEIGHTS``.
        smooth_kernel (int, optional): CO2-Net on ActivityNet (``ANT_CO2``)
            average-pools logits and attentions over time with this kernel
            (zero padding counted). None: off.
        proposal_stage (dict, optional): See :class:`BaseWSTALLocalizer`.
        test_cfg (dict): ``postprocessor``, ``topk_ratio`` (10) and
            ``fg_source`` (``'attention'``, or ``'proposal'`` for the
            proposal stage's foreground curve when it has one).
    """

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
                 proposal_stage: Optional[dict] = None,
                 loss_proposal_mil: dict = dict(type='BalancedMILLoss'),
                 test_cfg: Optional[dict] = dict(
                     postprocessor=dict(type='WSTALPostProcessor'),
                     topk_ratio=10, fg_source='attention'),
                 data_preprocessor: Optional[dict] = dict(
                     type='BaseDataPreprocessor'),
                 init_cfg: Optional[dict] = None):
        self.feature_dims = tuple(int(d) for d in feature_dims)
        assert len(self.feature_dims) == 2, 'feature_dims is (D_rgb, D_flow)'
        test_cfg = merge_defaults(
            'model.test_cfg',
            dict(postprocessor=None, topk_ratio=10, fg_source='attention'),
            test_cfg)
        check_choice('model.test_cfg.fg_source', test_cfg['fg_source'],
                     FG_SOURCES)
        super().__init__(
            num_classes,
            proposal_stage=proposal_stage,
            proposal_in_channels=sum(self.feature_dims),
            loss_proposal_mil=loss_proposal_mil,
            postprocessor=test_cfg['postprocessor'],
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        self.test_cfg = test_cfg

        neck = copy.deepcopy(neck)
        neck.setdefault('rgb_channels', self.feature_dims[0])
        neck.setdefault('flow_channels', self.feature_dims[1])
        self.neck = MODELS.build(neck)
        cls_head = copy.deepcopy(cls_head)
        cls_head.setdefault('in_channels', self.neck.out_channels)
        cls_head.setdefault('num_classes', num_classes)
        self.cls_head = MODELS.build(cls_head)

        self.loss_mil = MODELS.build(loss_mil)
        self.loss_co_activity = MODELS.build(loss_co_activity)
        self.loss_mutual = MODELS.build(loss_mutual)
        self.loss_norm = MODELS.build(loss_norm)
        self.loss_guide = MODELS.build(loss_guide)
        self.loss_weights = merge_defaults(
            'model.loss_weights', _DEFAULT_LOSS_WEIGHTS, loss_weights)
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

    def _network(self, x: torch.Tensor, valid: torch.Tensor) -> dict:
        assert x.shape[-1] == sum(self.feature_dims), (
            f'inputs have {x.shape[-1]} columns, model.feature_dims say '
            f'{self.feature_dims}')
        out = self.neck(x, valid)
        out['logits'] = self._smooth(self.cls_head(out['feat'], valid), valid)
        for key in ('attn', 'attn_rgb', 'attn_flow'):
            out[key] = self._smooth(out[key], valid)
        return out

    def _forward(self, inputs, data_samples=None):
        """Raw outputs ``(logits (B, T, C+1), attn (B, T), valid)``."""
        x, valid = pad_inputs(inputs)
        out = self._network(x, valid)
        return out['logits'], out['attn'], valid

    # ------------------------------------------------------------------- loss
    def loss(self, inputs, data_samples) -> Dict[str, torch.Tensor]:
        x, valid = pad_inputs(inputs)
        labels = self._labels(data_samples, x.device, x.dtype)
        out = self._network(x, valid)
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

        def classify(feat):
            return torch.softmax(self.proposal_stage.classify_masked(
                self.cls_head, feat, valid), dim=-1)

        extra = self.proposal_losses(
            out['feat'], valid, data_samples, labels, classify,
            fss_cls=attn, tcas=torch.softmax(logits, dim=-1))
        if 'loss_mil_proposal' in extra:
            extra['loss_mil_proposal'] = w['mil_proposal'] * \
                extra['loss_mil_proposal']
        losses.update(extra)
        losses['attn_mean'] = (attn.detach() * valid).sum() / \
            valid.sum().clamp_min(1)
        return losses

    # ---------------------------------------------------------------- predict
    @torch.no_grad()
    def predict(self, inputs, data_samples=None, postprocessor=None
                ) -> List:
        """Localize actions; outputs as documented in ``DTRPLoc.predict``."""
        x, valid = pad_inputs(inputs)
        out = self._network(x, valid)
        scores = out['logits'] * out['attn'].unsqueeze(-1)
        video = torch.softmax(
            topk_pool(scores, valid, self.test_cfg['topk_ratio']), dim=-1)
        video_scores = video[..., :self.num_classes]
        mask, fss = self.test_proposals(out['feat'], valid, data_samples)
        fg = out['attn']
        if fss is not None and self.test_cfg['fg_source'] == 'proposal':
            fg = fss
        return self.pack_predictions(
            data_samples, valid, scores[..., :self.num_classes],
            video_scores, fg, mask, postprocessor)
