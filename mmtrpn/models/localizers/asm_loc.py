"""ASM-Loc: action-aware segment modeling (He et al., CVPR 2022)."""
from typing import Callable, Dict, Optional, Sequence

import torch
import torch.nn as nn

from mmtrpn.registry import MODELS
from mmtrpn.structures.segments import row_positions, segment_membership
from ..utils import call_module, check_choice, topk_pool
from .base_localizer import BaseWSTALLocalizer

_REFINE_HINT = (
    'a refinement step (model.refine_step >= 1) needs the previous step\'s '
    'pseudo segments: add dict(type=\'LoadPseudoSegments\', segment_file='
    '<previous step work_dir>/pseudo_segments.json) to the train and test '
    'pipelines (train_dataloader.dataset.pipeline, '
    'test_dataloader.dataset.pipeline)')
FEATURE_CHOICES = ('dropped', 'embedded')


@MODELS.register_module()
class ASMLoc(BaseWSTALLocalizer):
    """ASM-Loc as a registered WSTAL localizer, one refinement step per
    training run.

    Step 0 (``refine_step=0``) is ASM-Loc's base model: embedding (conv k3,
    ReLU) -> two-way attention (foreground / background, softmax) and a
    linear C + 1 snippet classifier; ``fg_cas = logits * a_fg``, ``bg_cas =
    logits * a_bg``; video scores are the softmax of their top-k means
    (``T // 8`` and ``T // 3``); losses ``loss_fg``, ``loss_bg``,
    ``loss_abg`` (:class:`ASMLocMILLoss`).

    Steps >= 1 add, from the previous step's pseudo segments (loaded by the
    ``LoadPseudoSegments`` transform, written by that step's
    ``PseudoSegmentExportHook``): intra- and inter-segment attention after
    the embedding, an uncertainty branch, and the pseudo-instance-level loss
    ``loss_pseudo_instance`` (:class:`UncertaintyPseudoInstanceLoss`);
    ``DynamicSegmentSampling`` in the pipelines upsamples short segments.
    Each step trains a fresh model, as the public code does.

    With a proposal stage (``source`` other than ``'none'``) the stage
    masks the embedded snippet features;
    the snippet classifier on the masked features gives
    ``loss_mil_proposal`` (average over proposal snippets, background 0),
    and the stage's pseudo-label losses use the foreground attention as
    the classifier foreground.

    Args:
        num_classes (int): Number of action classes C.
        feature_dims (Sequence[int]): ``(D_rgb, D_flow)``; the model works on
            their concatenation.
        refine_step (int): 0 = base model; >= 1 = full model of that step.
        num_heads (int): Heads of the segment attentions (8).
        dropout (float): Dropout ratio (0.7).
        regularize (bool): ASM-Loc's extra dropouts for ActivityNet (before
            the embedding, the attention and the uncertainty branches).
        fg_topk_ratio, bg_topk_ratio (float): ``k = T // ratio`` of the
            foreground (8 / 2) and background (3 / 10) pooling.
        loss_mil (dict): ``ASMLocMILLoss`` config.
        loss_pseudo_instance (dict): ``UncertaintyPseudoInstanceLoss``
            config.
        rpn_input (str): What the T-RPN reads at training: ``'dropped'``
            the classifier's input, after ASM-Loc's whole-snippet dropout
            (the features it masks), or ``'embedded'`` the same features
            before that dropout, as the attention branch reads them (at
            test both are the embedded features).
        masked_input (str): What the masked branch classifies, the same
            choice: ``'dropped'`` (default) or ``'embedded'`` (the
            classifier's own feature dropout still applies).
        **kwargs: The contract's arguments (:class:`BaseWSTALLocalizer`):
            ``proposal_stage``, ``loss_proposal_mil``, ``loss_weights``
            (``mil_proposal`` 1, ``pseudo_instance`` 1), ``test_cfg``
            (merged over :attr:`DEFAULT_TEST_CFG`: ``postprocessor`` and
            ``fg_source``: ``'detector'`` the foreground attention, or
            ``'proposal'`` the stage's curve), ``data_preprocessor``,
            ``init_cfg``.
    """

    DEFAULT_TEST_CFG = dict(
        postprocessor=dict(type='WSTALPostProcessor'), fg_source='detector')
    DEFAULT_LOSS_WEIGHTS = dict(mil_proposal=1.0, pseudo_instance=1.0)

    def __init__(self,
                 num_classes: int,
                 feature_dims: Sequence[int] = (1024, 1024),
                 refine_step: int = 0,
                 num_heads: int = 8,
                 dropout: float = 0.7,
                 regularize: bool = False,
                 fg_topk_ratio: float = 8,
                 bg_topk_ratio: float = 3,
                 loss_mil: dict = dict(type='ASMLocMILLoss'),
                 loss_pseudo_instance: dict = dict(
                     type='UncertaintyPseudoInstanceLoss', beta=0.2),
                 rpn_input: str = 'dropped',
                 masked_input: str = 'dropped',
                 **kwargs):
        super().__init__(num_classes, feature_dims, **kwargs)
        check_choice('model.rpn_input', rpn_input, FEATURE_CHOICES)
        check_choice('model.masked_input', masked_input, FEATURE_CHOICES)
        if int(refine_step) != refine_step or refine_step < 0:
            raise ValueError('model.refine_step must be an int >= 0, got '
                             f'{refine_step!r}')
        # the stage first: the order of the random initialisation
        self.init_proposal_stage()
        width = sum(self.feature_dims)
        self.rpn_input = rpn_input
        self.masked_input = masked_input
        self.refine_step = int(refine_step)
        self.regularize = regularize
        self.fg_topk_ratio = fg_topk_ratio
        self.bg_topk_ratio = bg_topk_ratio

        self.embed = nn.Conv1d(width, width, 3, padding=1)
        self.att_branch = nn.Conv1d(width, 2, 1)
        self.snippet_cls = nn.Linear(width, num_classes + 1)
        self.dropout = nn.Dropout(dropout)
        if self.with_segments:
            self.intra_attention = MODELS.build(
                dict(type='IntraSegmentAttention', channels=width,
                     heads=num_heads))
            self.inter_attention = MODELS.build(
                dict(type='InterSegmentAttention', channels=width,
                     heads=num_heads))
            self.uncertainty_branch = nn.Conv1d(width, 1, 1, bias=False)
            nn.init.normal_(self.uncertainty_branch.weight, 0.0, 1e-4)
            self.loss_pseudo_instance = MODELS.build(loss_pseudo_instance)
        self.loss_mil = MODELS.build(loss_mil)

    @property
    def with_segments(self) -> bool:
        return self.refine_step >= 1

    # ---------------------------------------------------------------- helpers
    def _segment_masks(self, data_samples, valid: torch.Tensor, key: str):
        """Per video (T, K_i) membership of its rows in segments ``key``."""
        if data_samples is None or any(key not in ds
                                       for ds in data_samples):
            raise KeyError(f'ASMLoc: data samples lack "{key}": ' +
                           _REFINE_HINT)
        out = []
        for i, ds in enumerate(data_samples):
            length = int(valid[i].sum().item())
            pos = row_positions(ds, length, valid.device)
            out.append(segment_membership(
                pos, ds.get(key), float(ds.metainfo['snippet_duration'])))
        return out

    def attention_membership(self, data_samples, valid) -> torch.Tensor:
        """(B, T, K_max) 0/1 rows in the attention segments."""
        masks = self._segment_masks(data_samples, valid, 'attention_segments')
        k = max([1] + [m.shape[1] for m in masks])
        out = valid.new_zeros((valid.shape[0], valid.shape[1], k))
        for i, m in enumerate(masks):
            out[i, :m.shape[0], :m.shape[1]] = m.to(out.dtype)
        return out

    def pseudo_instance_target(self, data_samples, valid) -> torch.Tensor:
        """(B, T, C + 1) L1-normalised pseudo labels: the classes of the
        pseudo segments a row lies in, else background."""
        masks = self._segment_masks(data_samples, valid, 'pseudo_segments')
        b, t = valid.shape
        target = valid.new_zeros((b, t, self.num_classes + 1))
        for i, (m, ds) in enumerate(zip(masks, data_samples)):
            labels = torch.as_tensor(ds.pseudo_labels,
                                     device=valid.device).long().reshape(-1)
            onehot = nn.functional.one_hot(labels, self.num_classes + 1)
            hits = (m.to(target.dtype) @ onehot.to(target.dtype)) > 0
            target[i, :m.shape[0]] = hits.to(target.dtype)
        fg = target[..., :self.num_classes].sum(-1) > 0
        target[..., -1] = (~fg).to(target.dtype)
        return target / target.sum(-1, keepdim=True).clamp_min(1e-6)

    # ---------------------------------------------------------------- network
    def extract_feat(self, x: torch.Tensor, valid: torch.Tensor,
                     data_samples=None) -> dict:
        """``embedded`` (B, T, D) snippet features, ``dropped`` the same
        after the whole-snippet dropout, ``logits`` (B, T, C + 1) of the
        latter, ``att_fg``, ``att_bg`` (and ``uncertainty``) (B, T);
        ``feat`` and ``rpn_feat`` are the ``masked_input`` and
        ``rpn_input`` choices."""
        v = valid.to(x.dtype).unsqueeze(1)  # (B, 1, T)
        h = x.transpose(1, 2) * v
        if self.regularize:
            h = self.dropout(h)
        h = torch.relu(self.embed(h)) * v
        out = {}
        if self.with_segments:
            member = self.attention_membership(data_samples, valid)
            h = self.intra_attention(h, member, valid)
            h = self.inter_attention(h, member, valid)
        branch_in = self.dropout(h) if self.regularize else h
        att = torch.softmax(self.att_branch(branch_in), dim=1)  # (B, 2, T)
        out['att_fg'] = att[:, 0] * valid
        out['att_bg'] = att[:, 1] * valid
        if self.with_segments:
            out['uncertainty'] = self.uncertainty_branch(branch_in)[:, 0]
        feat = h.transpose(1, 2)
        out['embedded'] = feat
        # ASM-Loc drops whole snippets (dropout of a ones vector)
        feat = feat * self.dropout(feat.new_ones(feat.shape[:2] + (1, )))
        out['dropped'] = feat
        out['logits'] = self.classify_logits(feat)
        out['feat'] = out[self.masked_input]
        out['rpn_feat'] = out[self.rpn_input]
        return out

    def classify_logits(self, feat: torch.Tensor) -> torch.Tensor:
        return self.snippet_cls(self.dropout(feat))

    def classify(self, feat: torch.Tensor, valid: torch.Tensor,
                 call: Callable = call_module) -> torch.Tensor:
        return torch.softmax(call(self.snippet_cls, self.dropout(feat)),
                             dim=-1)

    def _video_scores(self, out, valid):
        fg_cas = out['logits'] * out['att_fg'].unsqueeze(-1)
        bg_cas = out['logits'] * out['att_bg'].unsqueeze(-1)
        fg_cls = torch.softmax(
            topk_pool(fg_cas, valid, self.fg_topk_ratio), dim=-1)
        bg_cls = torch.softmax(
            topk_pool(bg_cas, valid, self.bg_topk_ratio), dim=-1)
        return fg_cas, fg_cls, bg_cls

    # ------------------------------------------------------------------- loss
    def loss_by_feat(self, out: dict, labels: torch.Tensor,
                     valid: torch.Tensor, data_samples
                     ) -> Dict[str, torch.Tensor]:
        """``loss_fg``, ``loss_bg``, ``loss_abg`` and, from step 1,
        ``loss_pseudo_instance``; the snippet T-CAS is kept in ``out`` as
        ``cas``."""
        _, fg_cls, bg_cls = self._video_scores(out, valid)
        losses = self.loss_mil(fg_cls, bg_cls, labels)
        cas = torch.softmax(out['logits'], dim=-1)
        out['cas'] = cas
        if self.with_segments:
            target = self.pseudo_instance_target(data_samples, valid)
            losses['loss_pseudo_instance'] = \
                self.loss_weights['pseudo_instance'] * \
                self.loss_pseudo_instance(cas, target, out['uncertainty'],
                                          valid)
        return losses

    def training_foreground(self, out: dict, valid: torch.Tensor):
        """The foreground attention and the snippet T-CAS."""
        return out['att_fg'], out['cas']

    # ---------------------------------------------------------------- predict
    def predict_by_feat(self, out: dict, valid: torch.Tensor,
                        proposal: Optional[torch.Tensor]):
        """Class scores ``softmax(logits * a_fg)``, the foreground video
        scores and the foreground attention ``a_fg``. Segments on
        dynamically resampled rows are mapped back to seconds by
        :meth:`pack_predictions`."""
        fg_cas, fg_cls, _ = self._video_scores(out, valid)
        cas = torch.softmax(fg_cas, dim=-1)[..., :self.num_classes]
        return cas, fg_cls[..., :self.num_classes], out['att_fg']
