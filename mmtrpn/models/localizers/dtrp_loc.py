"""DTRP-Loc: two-stage weakly-supervised localizer with a temporal RPN."""
from typing import Callable, Dict, Optional, Sequence

import torch

from mmtrpn.registry import MODELS
from ..proposals import gt_snippet_masks
from ..utils import (append_background, build_with_defaults, call_module,
                     check_choice, masked_mean, topk_pool)
from .base_localizer import BaseWSTALLocalizer

CAS_SOURCES = ('full', 'masked')
PSEUDO_LABEL_SOURCES = ('full', 'masked')


@MODELS.register_module()
class DTRPLoc(BaseWSTALLocalizer):
    """Dual-modality temporal region proposal localizer.

    Pipeline (method.md): optional DMF neck -> proposal stage
    (:class:`TemporalProposalStage`: T-RPN ``FSS_trpn`` and a proposal mask)
    -> shared classifier on masked features (stage 2, average pooling over
    proposals, ``loss_mil_proposal``) and on the full sequence (ACoL, top-k
    pooling, ``loss_mil_full``) -> the stage's pseudo-label losses
    ``loss_kl`` and ``loss_ml`` teach the T-RPN from the classifier.

    ``inputs`` are a list of (T_i, D_rgb + D_flow) tensors (RGB columns first)
    or a stacked (B, T, D) tensor; lists are zero-padded with a (B, T) mask
    that every module respects.

    ``proposal_stage.source`` is the one switch of Table 4 (and of the
    T-RPN/PLG columns of Table 3): ``'trpn_pl'`` (T-RPN*), ``'trpn'``,
    ``'none'`` (the classifier alone with top-k MIL: the plain baseline),
    ``'gt'`` (ground-truth proposals at training and test: the upper bound)
    and ``'gt_train'`` (ground truth at training only).

    Args:
        num_classes (int): Number of action classes C.
        feature_dims (Sequence[int]): ``(D_rgb, D_flow)``.
            Defaults to (1024, 1024).
        neck (dict, optional): DMF neck config; None concatenates the
            modalities unchanged. ``rgb_channels``/``flow_channels`` default
            to ``feature_dims``.
        proposal_stage (dict): Proposal stage config (see
            :class:`BaseWSTALLocalizer`); ``in_channels`` defaults to the
            fused width.
        cls_head (dict): Classifier head config; ``in_channels`` and
            ``num_classes`` default from the model.
        loss_mil (dict): Video-level loss of the full-sequence branch
            (top-k pooled, background target 1).
        with_acol (bool): Add the full-sequence top-k MIL loss when a
            proposal mask exists. Defaults to True.
        pseudo_label_source (str): T-CAS behind ``FSS_cls``: ``'full'``
            (the unmasked sequence) or ``'masked'`` (the proposal branch).
            Defaults to 'full'.
        **kwargs: The contract's arguments (:class:`BaseWSTALLocalizer`):
            ``loss_proposal_mil`` (the masked branch's loss),
            ``loss_weights`` (``mil_proposal`` 1 and ``mil_full`` 1),
            ``test_cfg``, ``data_preprocessor``, ``init_cfg``.
        test_cfg (dict): Merged over :attr:`DEFAULT_TEST_CFG`:
            ``postprocessor`` (config of a callable, or None to skip segment
            generation), ``fg_source`` ``'proposal'`` (the stage's
            ``FSS_trpn``) or ``'detector'`` (1 - background of T-CAS_full),
            ``cas_source``
            ``'full'`` (classifier on the unmasked input) or ``'masked'``
            (two-stage: the classifier on the features masked by the
            inference proposals, zero outside them), ``topk_ratio`` (8) for
            the video scores.
        log_gt_diagnostics (bool): Log how the training proposals, the
            pseudo-label and the classifier's background column compare
            with the ground-truth segments (never used for training).
            Defaults to False.
    """

    DEFAULT_TEST_CFG = dict(
        postprocessor=dict(type='WSTALPostProcessor'),
        fg_source='proposal',
        cas_source='full',
        topk_ratio=8)
    DEFAULT_LOSS_WEIGHTS = dict(mil_proposal=1.0, mil_full=1.0)
    # the full-branch MIL is added beside a training mask only with ACoL
    base_losses_after_proposals = True

    def __init__(self,
                 num_classes: int,
                 feature_dims: Sequence[int] = (1024, 1024),
                 neck: Optional[dict] = dict(type='DMFNeck'),
                 proposal_stage: dict = dict(type='TemporalProposalStage'),
                 cls_head: dict = dict(type='MaskedClassifierHead'),
                 loss_mil: dict = dict(type='BalancedMILLoss'),
                 with_acol: bool = True,
                 pseudo_label_source: str = 'full',
                 log_gt_diagnostics: bool = False,
                 **kwargs):
        super().__init__(num_classes, feature_dims,
                         proposal_stage=proposal_stage, **kwargs)
        check_choice('model.pseudo_label_source', pseudo_label_source,
                     PSEUDO_LABEL_SOURCES)
        check_choice('model.test_cfg.cas_source',
                     self.test_cfg['cas_source'], CAS_SOURCES)
        self.with_acol = with_acol
        self.pseudo_label_source = pseudo_label_source
        self.log_gt_diagnostics = log_gt_diagnostics

        self.neck = None if neck is None else build_with_defaults(
            neck, rgb_channels=self.feature_dims[0],
            flow_channels=self.feature_dims[1])
        # built after the neck and before the classifier: the order of the
        # parameters' random initialisation, which the benchmarks' seeds fix
        self.init_proposal_stage()

        if cls_head.get('num_classes', num_classes) != num_classes:
            raise ValueError(
                f'model.cls_head.num_classes={cls_head["num_classes"]} '
                f'differs from model.num_classes={num_classes}')
        self.cls_head = build_with_defaults(
            cls_head, in_channels=sum(self.feature_dims),
            num_classes=num_classes)
        self.loss_mil = MODELS.build(loss_mil)

    @property
    def proposal_source(self) -> str:
        return self.proposal_stage.source

    @property
    def with_neck(self) -> bool:
        return self.neck is not None

    @property
    def with_trpn(self) -> bool:
        return self.proposal_stage.with_rpn

    @property
    def with_plg(self) -> bool:
        return self.proposal_stage.with_plg

    @property
    def rpn_head(self):
        return self.proposal_stage.rpn_head

    # ---------------------------------------------------------------- network
    def extract_feat(self, x: torch.Tensor, valid: torch.Tensor,
                     data_samples=None) -> dict:
        """``feat``: the fused features ``X+`` (B, T, D_rgb + D_flow), zero
        at padding."""
        if self.with_neck:
            return dict(feat=self.neck(x, valid))
        return dict(feat=x * valid.unsqueeze(-1))

    def classify(self, feat: torch.Tensor, valid: torch.Tensor,
                 call: Callable = call_module) -> torch.Tensor:
        return call(self.cls_head, feat, valid)

    def gt_proposal_mask(self, data_samples, valid: torch.Tensor
                         ) -> torch.Tensor:
        """(B, T) oracle mask from each sample's ``gt_segments`` (seconds)."""
        return gt_snippet_masks(data_samples, valid)

    # ------------------------------------------------------------------- loss
    def loss_by_feat(self, out: dict, labels: torch.Tensor,
                     valid: torch.Tensor, data_samples
                     ) -> Dict[str, torch.Tensor]:
        """``loss_mil_full``: the classifier on the full sequence (the MIL
        of the baseline without a mask, the ACoL branch beside one), top-k
        pooled, background target 1. T-CAS_full (``tcas_full`` in ``out``)
        is also the default source of the pseudo-label."""
        mil_full = out['proposal_mask'] is None or self.with_acol
        need_full = mil_full or (self.with_plg
                                 and self.pseudo_label_source == 'full')
        tcas_full = self.cls_head(out['feat'], valid) if need_full else None
        out['tcas_full'] = tcas_full
        if not mil_full:
            return {}
        video_probs = topk_pool(tcas_full, valid, self.cls_head.topk_ratio)
        return dict(loss_mil_full=self.loss_weights['mil_full'] *
                    self.loss_mil(video_probs,
                                  append_background(labels, 1.)))

    def training_foreground(self, out: dict, valid: torch.Tensor):
        """``FSS_cls = 1 - background`` of T-CAS_full, or of the masked
        branch's T-CAS with ``pseudo_label_source='masked'``."""
        tcas = out.get('tcas_full') if self.pseudo_label_source == 'full' \
            else out.get('masked_probs')
        if tcas is None:
            return None
        return (1 - tcas[..., -1]) * valid, tcas

    @torch.no_grad()
    def diagnostics(self, out: dict, valid: torch.Tensor, data_samples,
                    teacher=None) -> Dict[str, torch.Tensor]:
        """The base's, and with ``log_gt_diagnostics`` how the training
        mask, the pseudo-label and the classifier's background column
        compare with the ground-truth segments (never used for training)."""
        diag = super().diagnostics(out, valid, data_samples, teacher)
        if not self.log_gt_diagnostics:
            return diag
        mask, fss = out['proposal_mask'], out['fss_trpn']
        gt = gt_snippet_masks(data_samples, valid)
        diag['gt_ratio'] = masked_mean(gt, valid)
        diag.update(self.proposal_stage.diagnostics(mask, fss, gt, valid))
        tcas_full = out.get('tcas_full')
        if tcas_full is not None:
            bg = tcas_full[..., -1].detach()
            diag['bg_in_gt'] = masked_mean(bg, gt)
            diag['bg_out_gt'] = masked_mean(bg, valid - gt)
            if self.with_plg:
                target = self.proposal_stage.loss_pseudo_label.target(
                    (1 - bg) * valid, valid)
                diag['pl_in_gt'] = masked_mean(target, gt)
                diag['pl_out_gt'] = masked_mean(target, valid - gt)
        return diag

    # ---------------------------------------------------------------- predict
    def predict_by_feat(self, out: dict, valid: torch.Tensor,
                        proposal: Optional[torch.Tensor]):
        """T-CAS of the full sequence (or, with ``cas_source='masked'``,
        of the features masked by the test proposals, zero outside them:
        the two-stage inference), its top-k video scores and
        ``1 - background`` as the foreground curve."""
        feat = out['feat']
        tcas_full = self.cls_head(feat, valid)
        video_scores = topk_pool(tcas_full[..., :self.num_classes], valid,
                                 self.test_cfg['topk_ratio'])
        tcas = tcas_full
        if proposal is not None and self.test_cfg['cas_source'] == 'masked':
            tcas = self.cls_head(feat * proposal.unsqueeze(-1), valid) * \
                proposal.unsqueeze(-1)
        fg = (1 - tcas_full[..., -1]) * valid
        return tcas[..., :self.num_classes], video_scores, fg


__all__ = ['DTRPLoc']
