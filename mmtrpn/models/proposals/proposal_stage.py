"""The T-RPN as a plug-in proposal stage for any WSTAL localizer.

One component holds everything about temporal region proposals: where the
mask comes from (``source``), the T-RPN head and its Gumbel sampler, the
pseudo-label losses that teach it (PLG) and the ground-truth oracle. A
localizer builds it from its config and calls :meth:`train_proposals`,
:meth:`loss` and :meth:`test_proposals`; it never needs to know the source.
"""
import copy
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmtrpn.registry import MODELS
from mmtrpn.structures.segments import segments_to_snippet_mask
from ..utils import (check_choice, masked_mean, merge_defaults,
                     top_fraction_mask, topk_pool)

# 'none': no proposals; 'trpn': T-RPN trained end to end only; 'trpn_pl':
# T-RPN* (end to end + pseudo labels); 'gt': ground-truth proposals at
# training and test (the upper bound); 'gt_train': ground truth at training
# only (the test then has no proposals).
PROPOSAL_SOURCES = ('none', 'trpn', 'trpn_pl', 'gt', 'gt_train')
EMPTY_MASK_RULES = ('skip', 'top1')
# lambda2 (kl) = 0.8, lambda1 (ml) = 1; the norm term and the background
# top-k term are options
DEFAULT_LOSS_WEIGHTS = dict(kl=0.8, ml=1.0, norm=0.0, bg_topk=0.0)
# How the masked branch's loss reaches the classifier's parameters (the
# T-RPN and the features always get its full gradient): 'full' (the paper),
# 'none' (decoupled), 'scaled' (times classifier_grad_scale), 'ramp' (a
# gate rising linearly from 0 to 1 over classifier_grad_ramp_iters training
# steps, so the classifier learns from the mask once it has settled),
# 'coverage' (per video, rising from 0 to 1 as the training mask covers
# classifier_grad_coverage[0] to [1] of the video: where the T-RPN proposes
# most of a video its actions are long, and top-k MIL with k = T/8 cannot
# teach the classifier their extent).
CLASSIFIER_GRADS = ('full', 'none', 'scaled', 'ramp', 'coverage')


def gt_snippet_masks(data_samples: Sequence, valid: torch.Tensor
                     ) -> torch.Tensor:
    """(B, T) ground-truth foreground masks of a padded batch."""
    masks = valid.new_zeros(valid.shape)
    for i, ds in enumerate(data_samples):
        length = int(valid[i].sum().item())
        if 'gt_segments' not in ds:
            raise KeyError(
                f'video {ds.metainfo.get("video_name", i)} has no '
                'gt_segments: the ground-truth proposal source needs them')
        mask = segments_to_snippet_mask(
            ds.gt_segments,
            float(ds.metainfo['snippet_duration']),
            length,
            snippet_indices=ds.get('snippet_indices', None),
            device=valid.device)
        masks[i, :length] = mask.to(masks.dtype)
    return masks


@MODELS.register_module()
class TemporalProposalStage(BaseModule):
    """Stage 1 of DTRP-Loc, usable by any localizer (paper Sec. 3.2).

    Args:
        source (str): One of :data:`PROPOSAL_SOURCES`. Defaults to 'trpn_pl'.
        in_channels (int, optional): Width of the features the T-RPN reads;
            the localizer sets it.
        rpn_head (dict): T-RPN head config (``TRPNHead``).
        loss_pseudo_label (dict): PLG loss config (``PseudoLabelLoss``).
        loss_mutual (dict): Mutual-learning loss config.
        loss_norm (dict): Foreground-norm loss config (weight 0 by default).
        loss_weights (dict): ``kl`` (lambda2 = 0.8), ``ml`` (lambda1 = 1) and
            ``norm`` (0).
        empty_mask (str): What a video with an empty training mask feeds the
            proposal MIL loss: ``'skip'`` (nothing; the localizer drops it
            from ``L_mil1``) or ``'top1'`` (its highest-``FSS_trpn``
            snippet). Defaults to 'skip'.
        classifier_grad (str): One of :data:`CLASSIFIER_GRADS`: how much of
            the masked branch's gradient reaches the classifier's
            parameters (:meth:`classify_masked`). Defaults to 'full'.
        classifier_grad_scale (float): The constant gate of ``'scaled'``.
            Defaults to 0.5.
        classifier_grad_ramp_iters (int): Training steps over which
            ``'ramp'`` raises the gate from 0 to 1. Defaults to 300.
        classifier_grad_coverage (Sequence[float]): ``(lo, hi)``: the gate
            of ``'coverage'`` is ``clip((r - lo) / (hi - lo), 0, 1)`` with
            ``r`` the share of a video's snippets in its training mask.
            Defaults to (0.6, 0.8).
        classifier_topk_ratio (float, optional): ``rho``: the classifier's
            parameters learn from the masked branch only on the snippets of
            each video's training mask that rank in the top ``rho`` of its
            valid ``FSS_trpn`` scores (:meth:`classifier_focus`), gated as
            ``classifier_grad`` says; the loss value and the gradient into
            the T-RPN and the features stay those of the whole mask. None
            (default): the whole mask, as the paper.
        mask_features (bool): True (the paper): the masked branch
            classifies ``feat * mask``. False: it classifies ``feat`` and the
            mask enters only the pooling over it. For a per-snippet
            classifier the forward value is the same, but the
            straight-through gradient into a snippet outside the mask is
            then ``(p(feat_t) - video) / |mask|``, from its own prediction,
            instead of ``(p(0) - video) / |mask|``, the classifier's guess
            for a zeroed snippet, which is the same for every snippet out of
            the mask (and pushes them all out where ``p(0)`` is background,
            as in ASM-Loc). Defaults to True.
        bg_topk_ratio (float): ``r`` of the background top-k term
            (``loss_weights.bg_topk`` > 0): ``-log`` of the mean of the
            ``k = T // r`` highest ``1 - FSS_cls`` of each video (ASM-Loc's
            background branch pools ``T // 3``). Defaults to 3.
        init_cfg (dict, optional): MMEngine initialisation config.
    """

    def __init__(self,
                 source: str = 'trpn_pl',
                 in_channels: Optional[int] = None,
                 rpn_head: dict = dict(type='TRPNHead'),
                 loss_pseudo_label: dict = dict(type='PseudoLabelLoss'),
                 loss_mutual: dict = dict(
                     type='MutualLearningLoss', alpha=(0.9, 0.1)),
                 loss_norm: dict = dict(type='ForegroundNormLoss'),
                 loss_weights: Optional[dict] = None,
                 empty_mask: str = 'skip',
                 classifier_grad: str = 'full',
                 classifier_grad_scale: float = 0.5,
                 classifier_grad_ramp_iters: int = 300,
                 classifier_grad_coverage: Sequence[float] = (0.6, 0.8),
                 classifier_topk_ratio: Optional[float] = None,
                 mask_features: bool = True,
                 bg_topk_ratio: float = 3,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        check_choice('proposal_stage.source', source, PROPOSAL_SOURCES)
        check_choice('proposal_stage.empty_mask', empty_mask,
                     EMPTY_MASK_RULES)
        check_choice('proposal_stage.classifier_grad', classifier_grad,
                     CLASSIFIER_GRADS)
        if not 0 <= classifier_grad_scale <= 1:
            raise ValueError('proposal_stage.classifier_grad_scale must be '
                             f'in [0, 1], got {classifier_grad_scale}')
        if classifier_grad_ramp_iters < 1:
            raise ValueError('proposal_stage.classifier_grad_ramp_iters '
                             f'must be >= 1, got {classifier_grad_ramp_iters}')
        lo, hi = (float(v) for v in classifier_grad_coverage)
        if not 0 <= lo < hi <= 1:
            raise ValueError('proposal_stage.classifier_grad_coverage must '
                             f'be (lo, hi) with 0 <= lo < hi <= 1, got '
                             f'{classifier_grad_coverage}')
        if classifier_topk_ratio is not None:
            if not 0 < classifier_topk_ratio <= 1:
                raise ValueError('proposal_stage.classifier_topk_ratio must '
                                 f'be in (0, 1] or None, got '
                                 f'{classifier_topk_ratio}')
            if source not in ('trpn', 'trpn_pl'):
                raise ValueError('proposal_stage.classifier_topk_ratio ranks '
                                 "the T-RPN's scores: it needs source "
                                 f"'trpn' or 'trpn_pl', got {source!r}")
        if bg_topk_ratio < 1:
            raise ValueError('proposal_stage.bg_topk_ratio must be >= 1, '
                             f'got {bg_topk_ratio}')
        self.source = source
        self.empty_mask = empty_mask
        self.loss_weights = merge_defaults('proposal_stage.loss_weights',
                                           DEFAULT_LOSS_WEIGHTS, loss_weights)
        self.classifier_grad = classifier_grad
        self.classifier_grad_scale = float(classifier_grad_scale)
        self.classifier_grad_ramp_iters = int(classifier_grad_ramp_iters)
        self.classifier_grad_coverage = (lo, hi)
        self.classifier_topk_ratio = classifier_topk_ratio
        self.bg_topk_ratio = float(bg_topk_ratio)
        self.mask_features = bool(mask_features)
        self._last_focus_ratio = None  # for the training log
        # (B,) share of each video in the last training mask ('coverage')
        self._mask_coverage = None
        self._last_gate = None  # for the training log
        if classifier_grad == 'ramp':
            # in the checkpoint, so a resumed run continues the ramp
            self.register_buffer('masked_steps', torch.zeros(()))
        if self.with_rpn:
            if rpn_head is None:
                raise ValueError(f'proposal_stage.source={source!r} needs '
                                 'proposal_stage.rpn_head')
            rpn_head = copy.deepcopy(rpn_head)
            if in_channels is not None:
                rpn_head.setdefault('in_channels', in_channels)
            self.rpn_head = MODELS.build(rpn_head)
        else:
            self.rpn_head = None
        if self.with_plg:
            self.loss_pseudo_label = MODELS.build(loss_pseudo_label)
            self.loss_mutual = MODELS.build(loss_mutual)
            self.loss_norm = MODELS.build(loss_norm)

    @property
    def with_proposals(self) -> bool:
        return self.source != 'none'

    @property
    def with_rpn(self) -> bool:
        return self.source in ('trpn', 'trpn_pl')

    @property
    def with_plg(self) -> bool:
        return self.source == 'trpn_pl'

    def train_proposals(self, feat: torch.Tensor, valid: torch.Tensor,
                        data_samples: Sequence
                        ) -> Tuple[Optional[torch.Tensor],
                                   Optional[torch.Tensor]]:
        """Training mask (B, T) and ``FSS_trpn`` (B, T).

        The T-RPN mask is exactly 0/1 forward with the straight-through
        gradient of the Gumbel sample; either is None where the source has
        none.
        """
        if self.source == 'none':
            return None, None
        fss = None
        if self.source in ('gt', 'gt_train'):
            mask = gt_snippet_masks(data_samples, valid)
        else:
            fss = self.rpn_head(feat, valid)
            mask = self.rpn_head.sample_mask(fss, valid)
            if self.empty_mask == 'top1':
                mask = self._fill_empty_with_top1(mask, fss, valid)
        if self.classifier_grad == 'coverage':
            self._mask_coverage = (mask.detach() * valid).sum(-1) / \
                valid.sum(-1).clamp_min(1)
        return mask, fss

    @staticmethod
    def _fill_empty_with_top1(mask, fss, valid):
        empty = (mask.detach() * valid).sum(-1) <= 0  # (B,)
        if not bool(empty.any()):
            return mask
        scores = fss.detach().masked_fill(valid <= 0, -1.0)
        top = torch.zeros_like(mask).scatter_(
            1, scores.argmax(-1, keepdim=True), 1.0)
        return torch.where(empty.unsqueeze(-1), top * valid, mask)

    @torch.no_grad()
    def test_proposals(self, feat: torch.Tensor, valid: torch.Tensor,
                       data_samples: Optional[Sequence] = None
                       ) -> Tuple[Optional[torch.Tensor],
                                  Optional[torch.Tensor]]:
        """Inference mask (B, T) in {0, 1} and ``FSS_trpn``; None if absent.

        For the ``'gt'`` oracle both come from the ground truth: the mask is
        the ground-truth snippets and so is the foreground curve.
        """
        if self.with_rpn:
            fss = self.rpn_head(feat, valid)
            return self.rpn_head.predict_mask(fss, valid), fss
        if self.source == 'gt':
            if data_samples is None:
                raise ValueError('the gt proposal source needs data samples '
                                 'with gt_segments at test time')
            mask = gt_snippet_masks(data_samples, valid)
            return mask, mask
        return None, None

    def loss(self, fss: Optional[torch.Tensor], fss_cls: torch.Tensor,
             tcas: torch.Tensor, valid: torch.Tensor
             ) -> Dict[str, torch.Tensor]:
        """PLG losses ``loss_kl`` and ``loss_ml`` (and ``loss_fss_norm`` when
        weighted) that teach the T-RPN from the classifier; {} without PLG.
        With ``loss_weights.bg_topk`` > 0 also ``loss_bg_topk``
        (:meth:`background_topk_loss`), which teaches the detector.

        Args:
            fss (Tensor): (B, T) ``FSS_trpn``.
            fss_cls (Tensor): (B, T) the localizer's own foreground curve
                (e.g. 1 - background of its T-CAS).
            tcas (Tensor): (B, T, K) class probabilities behind ``fss_cls``
                (for the uncertainty weights of Eq. 10).
            valid (Tensor): (B, T) 0/1 mask of real snippets.
        """
        if not self.with_plg:
            return {}
        w = self.loss_weights
        losses = dict(
            loss_kl=w['kl'] * self.loss_pseudo_label(fss, fss_cls, tcas,
                                                     valid),
            loss_ml=w['ml'] * self.loss_mutual(fss, fss_cls, valid))
        if w['norm'] > 0:
            # not 'loss_norm': CO2-Net has an attention-norm term of that name
            losses['loss_fss_norm'] = w['norm'] * self.loss_norm(fss, valid)
        if w['bg_topk'] > 0:
            losses['loss_bg_topk'] = w['bg_topk'] * \
                self.background_topk_loss(fss_cls, valid)
        return losses

    def background_topk_loss(self, fss_cls: torch.Tensor,
                             valid: torch.Tensor) -> torch.Tensor:
        """``mean_b -log(topk_mean(1 - FSS_cls))`` with ``k = T // r``:
        the detector's background curve must be high on at least ``1 / r``
        of each video (ASM-Loc's background top-k over ``T // 3``). Top-k
        MIL with ``k = T // 8`` asks that of one snippet in eight only, so
        ``FSS_cls`` stays high on most background."""
        background = ((1 - fss_cls) * valid).unsqueeze(-1)
        pooled = topk_pool(background, valid, self.bg_topk_ratio)[:, 0]
        return -pooled.clamp_min(1e-6).log().mean()

    def classifier_gate(self):
        """The share of the masked branch's gradient the classifier's
        parameters get now: a float, a (B,) tensor for ``'coverage'`` (from
        the last :meth:`train_proposals`), None for the paper's ``'full'``.
        """
        rule = self.classifier_grad
        if rule == 'full':
            return None
        if rule == 'none':
            return 0.
        if rule == 'scaled':
            return self.classifier_grad_scale
        if rule == 'ramp':
            return min(1., float(self.masked_steps) /
                       self.classifier_grad_ramp_iters)
        if self._mask_coverage is None:
            raise RuntimeError("classifier_grad='coverage' needs the "
                               'training mask: call train_proposals first')
        lo, hi = self.classifier_grad_coverage
        return ((self._mask_coverage - lo) / (hi - lo)).clamp(0, 1)

    def classifier_focus(self, mask: torch.Tensor, fss: torch.Tensor,
                         valid: torch.Tensor) -> torch.Tensor:
        """(B, T) the snippets of the training ``mask`` that rank in the top
        ``classifier_topk_ratio`` of each video's valid ``FSS_trpn``: what
        the classifier's parameters learn from (detached, 0/1)."""
        top = top_fraction_mask(fss.detach(), valid,
                                self.classifier_topk_ratio)
        focus = mask.detach() * top
        self._last_focus_ratio = masked_mean(focus, valid)
        return focus

    def classify_masked(self, classifier: nn.Module, *args, **kwargs):
        """``classifier(*args, **kwargs)`` for the masked branch, with its
        gradient into ``classifier``'s parameters gated by
        ``classifier_grad`` (the gradient into the inputs is untouched).

        With gate ``g`` the output is ``b + g (a - sg(a))``, where ``b`` is
        the classifier with detached parameters on the inputs and ``a`` the
        classifier on detached inputs, both under the same random state
        (same dropout): the forward value is ``b``, exactly the ungated
        output; the inputs get ``db``, the parameters ``g da``. ``'full'``
        is the plain call and ``'none'`` (``g = 0``) computes ``b`` only.
        With ``classifier_topk_ratio`` this call is ``b`` only, and the
        parameters learn from :meth:`classify_focus` instead.
        """
        gate = self.classifier_gate()
        self._last_gate = gate
        if self.training and self.classifier_grad == 'ramp':
            self.masked_steps += 1
        if self.classifier_topk_ratio is not None:
            gate = 0.
        if gate is None:
            return classifier(*args, **kwargs)
        frozen = {
            name: p.detach()
            for name, p in classifier.named_parameters()
        }
        if not torch.is_tensor(gate) and gate == 0:
            return torch.func.functional_call(classifier, frozen, args,
                                              kwargs)
        devices = [t.device for t in args
                   if torch.is_tensor(t) and t.is_cuda][:1]
        with torch.random.fork_rng(devices=devices):
            # the same random state as the call below: same dropout
            params_only = classifier(*_detach_all(args),
                                     **_detach_all(kwargs))
        inputs_only = torch.func.functional_call(classifier, frozen, args,
                                                 kwargs)
        if torch.is_tensor(gate):  # one gate per video (batch dim first)
            gate = gate.reshape((-1, ) + (1, ) * (params_only.dim() - 1))
        return inputs_only + gate * (params_only - params_only.detach())

    def classify_focus(self, classifier: nn.Module, *args, **kwargs):
        """The parameters' half of the masked branch under
        ``classifier_topk_ratio``: ``sg(a) + g (a - sg(a))`` with ``a`` the
        classifier on detached inputs (the features masked by
        :meth:`classifier_focus`) and ``g`` the gate of the last
        :meth:`classify_masked` (1 under ``'full'``): the parameters get
        ``g da``, nothing reaches the inputs."""
        out = classifier(*_detach_all(args), **_detach_all(kwargs))
        gate = self._last_gate
        if gate is None:
            return out
        if torch.is_tensor(gate):  # one gate per video (batch dim first)
            gate = gate.reshape((-1, ) + (1, ) * (out.dim() - 1))
        return out.detach() + gate * (out - out.detach())

    @property
    def classifier_learns_from_mask(self) -> bool:
        """False where the gate is a constant 0 (``'none'``)."""
        return self.classifier_grad != 'none'

    @torch.no_grad()
    def gate_diagnostics(self) -> Dict[str, torch.Tensor]:
        """``classifier_gate``: the mean gate of the last masked-branch call
        (logged, never summed), {} under the paper's ``'full'``; and with
        ``classifier_topk_ratio`` the share of valid snippets the classifier
        learned from (``classifier_focus_ratio``)."""
        out = {}
        if self._last_gate is not None:
            out['classifier_gate'] = torch.as_tensor(
                self._last_gate, dtype=torch.float32).mean()
        if self._last_focus_ratio is not None:
            out['classifier_focus_ratio'] = self._last_focus_ratio
        return out

    @staticmethod
    def nonempty(mask: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        """(B,) 1 where a video's mask selects at least one valid snippet."""
        return ((mask.detach() * valid).sum(-1) > 0).to(mask.dtype)

    @torch.no_grad()
    def diagnostics(self, mask: Optional[torch.Tensor],
                    fss: Optional[torch.Tensor], gt: torch.Tensor,
                    valid: torch.Tensor, prefix: str = 'prop'
                    ) -> Dict[str, torch.Tensor]:
        """Coverage and precision of a mask against ground truth, for logs.

        Keys contain no ``loss``, so MMEngine logs them without summing.
        """
        out = {}
        gt = gt * valid
        if mask is not None:
            m = mask.detach() * valid
            out[f'{prefix}_precision'] = masked_mean(gt, m)
            out[f'{prefix}_recall'] = masked_mean(m, gt)
        if fss is not None:
            out['fss_in_gt'] = masked_mean(fss.detach(), gt)
            out['fss_out_gt'] = masked_mean(fss.detach(), valid - gt)
        return out


def _detach_all(values):
    """Tensors in a tuple or dict of call arguments, detached."""
    if isinstance(values, dict):
        return {k: v.detach() if torch.is_tensor(v) else v
                for k, v in values.items()}
    return tuple(v.detach() if torch.is_tensor(v) else v for v in values)


__all__: List[str] = [
    'TemporalProposalStage', 'PROPOSAL_SOURCES', 'CLASSIFIER_GRADS',
    'gt_snippet_masks'
]
