"""DTRP-Loc: two-stage weakly-supervised localizer with a temporal RPN."""
import copy
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.structures import BaseDataElement

from mmtrpn.registry import MODELS
from ..heads.masked_cls_head import topk_pool
from ..proposals import (gt_snippet_masks,
                         masked_mean_over)
from .base_localizer import BaseWSTALLocalizer

# The one statement of each default; a partial config dict is merged over it.
DEFAULT_TEST_CFG = dict(
    postprocessor=dict(type='WSTALPostProcessor'),
    fg_source='trpn',
    cas_source='full',
    topk_ratio=8)
DEFAULT_LOSS_WEIGHTS = dict(mil_proposal=1.0, mil_full=1.0)
FG_SOURCES = ('trpn', 'cls')
CAS_SOURCES = ('full', 'masked')
PSEUDO_LABEL_SOURCES = ('full', 'masked')


def merge_defaults(name: str, defaults: dict, cfg: Optional[dict]) -> dict:
    """``defaults`` updated by ``cfg``; a key ``defaults`` lacks is an error
    (a typo would otherwise silently keep the default)."""
    cfg = dict(cfg or {})
    unknown = set(cfg) - set(defaults)
    if unknown:
        raise KeyError(f'unknown {name} keys {sorted(unknown)}; '
                       f'expected a subset of {sorted(defaults)}')
    return dict(copy.deepcopy(defaults), **cfg)


def check_choice(name: str, value, choices) -> None:
    if value not in choices:
        raise ValueError(f'{name} must be one of {choices}, got {value!r}')


def pad_inputs(inputs: Union[torch.Tensor, Sequence[torch.Tensor]]
               ) -> Tuple[torch.Tensor, torch.Tensor]:
    """Zero-pad a list of (T_i, D) tensors to (B, T_max, D) with a (B, T) mask.

    A stacked (B, T, D) tensor is returned as is with an all-ones mask.
    """
    if isinstance(inputs, torch.Tensor):
        if inputs.dim() == 2:
            inputs = inputs.unsqueeze(0)
        valid = inputs.new_ones(inputs.shape[:2])
        return inputs, valid
    lengths = [int(x.shape[0]) for x in inputs]
    ref = inputs[0]
    x = ref.new_zeros((len(inputs), max(lengths), ref.shape[-1]))
    valid = ref.new_zeros((len(inputs), max(lengths)))
    for i, (feat, length) in enumerate(zip(inputs, lengths)):
        x[i, :length] = feat
        valid[i, :length] = 1
    return x, valid


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
        proposal_stage (dict, optional): Proposal stage config; None means
            ``source='none'``. ``in_channels`` defaults to the fused width.
        cls_head (dict): Classifier head config; ``in_channels`` and
            ``num_classes`` default from the model.
        with_acol (bool): Add the full-sequence top-k MIL loss when a
            proposal mask exists. Defaults to True.
        pseudo_label_source (str): T-CAS behind ``FSS_cls``: ``'full'``
            (the unmasked sequence) or ``'masked'`` (the proposal branch).
            Defaults to 'full'.
        loss_weights (dict): ``mil_proposal`` (1) and ``mil_full`` (1).
        test_cfg (dict): Merged over :data:`DEFAULT_TEST_CFG`:
            ``postprocessor`` (config of a callable, or None to skip segment
            generation), ``fg_source`` ``'trpn'`` (the stage's foreground)
            or ``'cls'`` (1 - background of T-CAS_full), ``cas_source``
            ``'full'`` (classifier on the unmasked input) or ``'masked'``
            (two-stage: the classifier on the features masked by the
            inference proposals, zero outside them), ``topk_ratio`` (8) for
            the video scores.
        log_gt_diagnostics (bool): Log how the training proposals, the
            pseudo-label and the classifier's background column compare
            with the ground-truth segments (never used for training).
            Defaults to False.
        data_preprocessor (dict): Defaults to ``BaseDataPreprocessor``.
        init_cfg (dict, optional): MMEngine initialisation config.
    """

    def __init__(self,
                 num_classes: int,
                 feature_dims: Sequence[int] = (1024, 1024),
                 neck: Optional[dict] = dict(type='DMFNeck'),
                 proposal_stage: Optional[dict] = dict(
                     type='TemporalProposalStage'),
                 cls_head: dict = dict(type='MaskedClassifierHead'),
                 with_acol: bool = True,
                 pseudo_label_source: str = 'full',
                 loss_weights: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 log_gt_diagnostics: bool = False,
                 data_preprocessor: Optional[dict] = dict(
                     type='BaseDataPreprocessor'),
                 init_cfg: Optional[dict] = None):
        feature_dims = tuple(int(d) for d in feature_dims)
        if len(feature_dims) != 2:
            raise ValueError('model.feature_dims is (D_rgb, D_flow), got '
                             f'{feature_dims}')
        in_channels = sum(feature_dims)
        check_choice('model.pseudo_label_source', pseudo_label_source,
                     PSEUDO_LABEL_SOURCES)
        test_cfg = merge_defaults('model.test_cfg', DEFAULT_TEST_CFG,
                                  test_cfg)
        check_choice('model.test_cfg.fg_source', test_cfg['fg_source'],
                     FG_SOURCES)
        check_choice('model.test_cfg.cas_source', test_cfg['cas_source'],
                     CAS_SOURCES)
        super().__init__(
            num_classes=num_classes,
            postprocessor=test_cfg['postprocessor'],
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        self.feature_dims = feature_dims
        self.with_acol = with_acol
        self.pseudo_label_source = pseudo_label_source
        self.log_gt_diagnostics = log_gt_diagnostics
        self.test_cfg = test_cfg
        self.loss_weights = merge_defaults('model.loss_weights',
                                           DEFAULT_LOSS_WEIGHTS, loss_weights)

        if neck is not None:
            neck = copy.deepcopy(neck)
            neck.setdefault('rgb_channels', feature_dims[0])
            neck.setdefault('flow_channels', feature_dims[1])
            self.neck = MODELS.build(neck)
        else:
            self.neck = None
        # built after the neck and before the classifier: the order of the
        # parameters' random initialisation, which the benchmarks' seeds fix
        # (without proposals the stage answers with source 'none')
        self.build_proposal_stage(
            proposal_stage or dict(type='TemporalProposalStage',
                                   source='none'), in_channels)

        cls_head = copy.deepcopy(cls_head)
        cls_head.setdefault('in_channels', in_channels)
        cls_head.setdefault('num_classes', num_classes)
        if cls_head['num_classes'] != num_classes:
            raise ValueError(
                f'model.cls_head.num_classes={cls_head["num_classes"]} '
                f'differs from model.num_classes={num_classes}')
        self.cls_head = MODELS.build(cls_head)

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

    # ------------------------------------------------------------------ utils
    def extract_feat(self, x: torch.Tensor,
                     valid: torch.Tensor) -> torch.Tensor:
        """Fused features ``X+`` (B, T, D_rgb + D_flow), zero at padding."""
        if x.shape[-1] != sum(self.feature_dims):
            raise ValueError(
                f'inputs have {x.shape[-1]} columns, model.feature_dims '
                f'say {self.feature_dims}')
        if self.with_neck:
            return self.neck(x, valid)
        return x * valid.unsqueeze(-1)

    def gt_proposal_mask(self, data_samples, valid: torch.Tensor
                         ) -> torch.Tensor:
        """(B, T) oracle mask from each sample's ``gt_segments`` (seconds)."""
        return gt_snippet_masks(data_samples, valid)

    # ---------------------------------------------------------------- forward
    def _forward(self, inputs, data_samples=None):
        """Raw outputs ``(T-CAS (B,T,C+1), fg_curve (B,T), valid)``."""
        x, valid = pad_inputs(inputs)
        out = self._inference(self.extract_feat(x, valid), valid,
                              data_samples)
        return out['tcas'], out['fg'], valid

    # ------------------------------------------------------------------- loss
    def loss(self, inputs, data_samples: List[BaseDataElement]
             ) -> Dict[str, torch.Tensor]:
        """Loss terms (keys with ``loss``) and diagnostics (without)."""
        x, valid = pad_inputs(inputs)
        feat = self.extract_feat(x, valid)
        labels = self._labels(data_samples, x.device, x.dtype)
        w = self.loss_weights
        stage = self.proposal_stage
        losses = {}

        mask, fss_trpn = stage.train_proposals(feat, valid, data_samples)
        tcas_masked = None
        if mask is not None:
            tcas_masked = stage.classify_masked(
                self.cls_head, feat * mask.unsqueeze(-1), valid)
            video_probs = self.cls_head.masked_avg_pool(
                tcas_masked, mask, valid)
            # a video whose mask is empty has no proposals to learn from
            losses['loss_mil_proposal'] = w['mil_proposal'] * \
                self.cls_head.loss(video_probs, labels, background=0.,
                                   video_weight=stage.nonempty(mask, valid))

        # the full branch is the MIL of the baseline, the ACoL branch, and
        # the default source of the pseudo-label
        mil_full = mask is None or self.with_acol
        need_full = mil_full or (stage.with_plg
                                 and self.pseudo_label_source == 'full')
        tcas_full = self.cls_head(feat, valid) if need_full else None
        if mil_full:
            video_probs = self.cls_head.topk_pool(tcas_full, valid)
            losses['loss_mil_full'] = w['mil_full'] * \
                self.cls_head.loss(video_probs, labels, background=1.)

        if stage.with_plg:
            tcas_src = (
                tcas_full
                if self.pseudo_label_source == 'full' else tcas_masked)
            fss_cls = (1 - tcas_src[..., -1]) * valid
            losses.update(stage.loss(fss_trpn, fss_cls, tcas_src, valid))

        losses.update(self._diagnostics(mask, fss_trpn, tcas_full, valid,
                                        data_samples))
        return losses

    @torch.no_grad()
    def _diagnostics(self, mask, fss_trpn, tcas_full, valid, data_samples):
        """Logged values without ``loss`` in their keys (never summed)."""
        diag = self.proposal_diagnostics(mask, fss_trpn, valid)
        num_valid = valid.sum().clamp_min(1)
        if not self.log_gt_diagnostics:
            return diag
        gt = gt_snippet_masks(data_samples, valid)
        diag['gt_ratio'] = gt.sum() / num_valid
        diag.update(self.proposal_stage.diagnostics(mask, fss_trpn, gt,
                                                    valid))
        if tcas_full is not None:
            bg = tcas_full[..., -1].detach()
            diag['bg_in_gt'] = masked_mean_over(bg, gt)
            diag['bg_out_gt'] = masked_mean_over(bg, valid - gt)
            if self.proposal_stage.with_plg:
                target = self.proposal_stage.loss_pseudo_label.target(
                    (1 - bg) * valid, valid)
                diag['pl_in_gt'] = masked_mean_over(target, gt)
                diag['pl_out_gt'] = masked_mean_over(target, valid - gt)
        return diag

    # ---------------------------------------------------------------- predict
    def _inference(self, feat, valid, data_samples=None) -> dict:
        """T-CAS, foreground curve, video scores and proposal mask."""
        tcas_full = self.cls_head(feat, valid)
        video_scores = topk_pool(tcas_full[..., :self.num_classes], valid,
                                 self.test_cfg['topk_ratio'])
        proposal, fss = self.proposal_stage.test_proposals(
            feat, valid, data_samples)
        tcas = tcas_full
        if proposal is not None and self.test_cfg['cas_source'] == 'masked':
            # stage 2 of the two-stage inference: classify the proposals
            tcas = self.cls_head(feat * proposal.unsqueeze(-1), valid) * \
                proposal.unsqueeze(-1)
        if fss is not None and self.test_cfg['fg_source'] == 'trpn':
            fg = fss
        else:
            fg = (1 - tcas_full[..., -1]) * valid
        if proposal is None:
            proposal = valid.clone()
        return dict(tcas=tcas, fg=fg, video_scores=video_scores,
                    proposal=proposal)

    @torch.no_grad()
    def predict(self, inputs, data_samples: Optional[List[BaseDataElement]]
                ) -> List[BaseDataElement]:
        """Localize actions in each (full) video.

        Returns one data sample per video, a copy of the input one with
        ``pred_segments`` (K, 2) seconds, ``pred_labels`` (K,),
        ``pred_scores`` (K,), ``video_scores`` (C,), ``fg_curve`` (T,),
        ``cas`` (T, C) and ``proposal_mask`` (T,).
        """
        x, valid = pad_inputs(inputs)
        out = self._inference(self.extract_feat(x, valid), valid,
                              data_samples)
        return self.pack_predictions(
            data_samples, valid, out['tcas'][..., :self.num_classes],
            out['video_scores'], out['fg'], out['proposal'])


__all__ = ['DTRPLoc', 'pad_inputs', 'merge_defaults', 'check_choice']
