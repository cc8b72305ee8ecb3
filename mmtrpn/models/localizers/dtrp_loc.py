"""DTRP-Loc: two-stage weakly-supervised localizer with a temporal RPN."""
import copy
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement

from mmtrpn.registry import MODELS, TASK_UTILS
from mmtrpn.structures.segments import segments_to_snippet_mask
from ..heads.masked_cls_head import topk_pool
from ..losses.pseudo_label_loss import MutualLearningLoss, PseudoLabelKLLoss

PROPOSAL_SOURCES = ('trpn', 'trpn_pl', 'none', 'gt')
_DEFAULT_LOSS_WEIGHTS = dict(mil_proposal=1.0, mil_full=1.0, ml=1.0, kl=0.8)


def _check_keys(name: str, cfg: dict, allowed) -> None:
    # a typo in a weight name would otherwise silently keep the default
    unknown = set(cfg) - set(allowed)
    if unknown:
        raise KeyError(f'unknown {name} keys {sorted(unknown)}; '
                       f'expected a subset of {sorted(allowed)}')


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
class DTRPLoc(BaseModel):
    """Dual-modality temporal region proposal localizer.

    Pipeline (method.md): optional DMF neck -> T-RPN gives ``FSS_trpn`` and a
    proposal mask -> shared classifier on masked features (stage 2, average
    pooling over proposals, ``loss_mil_proposal``) and on the full sequence
    (ACoL, top-k pooling, ``loss_mil_full``) -> pseudo-label losses
    ``loss_kl`` and ``loss_ml`` train the T-RPN from the classifier.

    ``inputs`` are a list of (T_i, D_rgb + D_flow) tensors (RGB columns first)
    or a stacked (B, T, D) tensor; lists are zero-padded with a (B, T) mask
    that every module respects.

    Switches (Tables 3 and 4 of the paper). ``proposal_source`` is the one
    canonical switch for where the proposal mask comes from and whether
    pseudo-labels train the T-RPN:

    - ``'trpn_pl'``: T-RPN* -- T-RPN mask, trained end to end and with PLG
      (``loss_kl`` + ``loss_ml``). Default when ``rpn_head`` is given.
    - ``'trpn'``: T-RPN mask, trained end to end only (no PLG).
    - ``'none'``: no proposals: the classifier runs on the full sequence
      with top-k MIL only (the plain baseline); ``rpn_head`` is not built.
    - ``'gt'``: oracle mask from ``gt_segments`` (upper bound);
      ``rpn_head`` is not built.

    ``with_plg`` is a shorthand for Table 3 configs: when
    ``proposal_source`` is None it picks ``'trpn_pl'`` (True/None) or
    ``'trpn'`` (False), or ``'none'`` when ``rpn_head`` is None. When both
    are given they must agree (``with_plg`` True iff ``'trpn_pl'``).

    Args:
        num_classes (int): Number of action classes C.
        feature_dims (Sequence[int]): ``(D_rgb, D_flow)``.
            Defaults to (1024, 1024).
        neck (dict, optional): DMF neck config; None concatenates the
            modalities unchanged. ``rgb_channels``/``flow_channels`` default
            to ``feature_dims``.
        rpn_head (dict, optional): T-RPN head config; ``in_channels`` defaults
            to the fused width.
        cls_head (dict): Classifier head config; ``in_channels`` and
            ``num_classes`` default from the model.
        with_acol (bool): Add the full-sequence top-k MIL loss when a
            proposal mask exists. Defaults to True.
        with_plg (bool, optional): See above. Defaults to None.
        proposal_source (str, optional): See above. Defaults to None.
        pseudo_label (dict): ``sigma`` (2) and ``tau`` (0.2) of the
            pseudo-label, ``source`` ``'full'`` (T-CAS of the unmasked
            sequence) or ``'masked'`` (T-CAS of the proposal branch).
        loss_weights (dict): Weights of ``mil_proposal`` (1), ``mil_full``
            (1), ``ml`` (lambda1 = 1) and ``kl`` (lambda2 = 0.8).
        ml_alpha (Sequence[float]): Weights of the stage-1 and stage-2 terms
            of ``loss_ml``. Defaults to (0.9, 0.1).
        test_cfg (dict): ``postprocessor`` (config of a callable, or None to
            skip segment generation), ``fg_source`` ``'trpn'`` (FSS_trpn) or
            ``'cls'`` (1 - background of T-CAS_full), ``topk_ratio`` (8) for
            the video scores.
        data_preprocessor (dict): Defaults to ``BaseDataPreprocessor``.
        init_cfg (dict, optional): MMEngine initialisation config.
    """

    def __init__(self,
                 num_classes: int,
                 feature_dims: Sequence[int] = (1024, 1024),
                 neck: Optional[dict] = dict(type='DMFNeck'),
                 rpn_head: Optional[dict] = dict(type='TRPNHead'),
                 cls_head: dict = dict(type='MaskedClassifierHead'),
                 with_acol: bool = True,
                 with_plg: Optional[bool] = None,
                 proposal_source: Optional[str] = None,
                 pseudo_label: dict = dict(sigma=2, tau=0.2, source='full'),
                 loss_weights: dict = dict(ml=1.0, kl=0.8),
                 ml_alpha: Sequence[float] = (0.9, 0.1),
                 test_cfg: Optional[dict] = dict(
                     postprocessor=dict(type='WSTALPostProcessor'),
                     fg_source='trpn',
                     topk_ratio=8),
                 data_preprocessor: Optional[dict] = dict(
                     type='BaseDataPreprocessor'),
                 init_cfg: Optional[dict] = None):
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.num_classes = num_classes
        self.feature_dims = tuple(int(d) for d in feature_dims)
        assert len(self.feature_dims) == 2, 'feature_dims is (D_rgb, D_flow)'
        in_channels = sum(self.feature_dims)

        self.proposal_source = self._resolve_proposal_source(
            rpn_head, with_plg, proposal_source)
        self.with_plg = self.proposal_source == 'trpn_pl'
        self.with_acol = with_acol

        if neck is not None:
            neck = copy.deepcopy(neck)
            neck.setdefault('rgb_channels', self.feature_dims[0])
            neck.setdefault('flow_channels', self.feature_dims[1])
            self.neck = MODELS.build(neck)
        else:
            self.neck = None

        if self.proposal_source in ('trpn', 'trpn_pl'):
            rpn_head = copy.deepcopy(rpn_head)
            rpn_head.setdefault('in_channels', in_channels)
            self.rpn_head = MODELS.build(rpn_head)
        else:
            self.rpn_head = None

        cls_head = copy.deepcopy(cls_head)
        cls_head.setdefault('in_channels', in_channels)
        cls_head.setdefault('num_classes', num_classes)
        assert cls_head['num_classes'] == num_classes
        self.cls_head = MODELS.build(cls_head)

        pseudo_label = dict(dict(sigma=2, tau=0.2, source='full'),
                            **(pseudo_label or {}))
        _check_keys('pseudo_label', pseudo_label, ('sigma', 'tau', 'source'))
        if pseudo_label['source'] not in ('full', 'masked'):
            raise ValueError('pseudo_label.source must be full or masked, '
                             f'got {pseudo_label["source"]}')
        self.pseudo_label_source = pseudo_label['source']
        self.loss_kl = PseudoLabelKLLoss(
            sigma=pseudo_label['sigma'], tau=pseudo_label['tau'])
        self.loss_ml = MutualLearningLoss(alpha=ml_alpha)
        _check_keys('loss_weights', loss_weights or {}, _DEFAULT_LOSS_WEIGHTS)
        self.loss_weights = dict(_DEFAULT_LOSS_WEIGHTS, **(loss_weights or {}))

        self.test_cfg = dict(
            dict(postprocessor=None, fg_source='trpn', topk_ratio=8),
            **(test_cfg or {}))
        if self.test_cfg['fg_source'] not in ('trpn', 'cls'):
            raise ValueError('test_cfg.fg_source must be trpn or cls')
        post = self.test_cfg['postprocessor']
        self.postprocessor = TASK_UTILS.build(post) if isinstance(
            post, dict) else post

    @staticmethod
    def _resolve_proposal_source(rpn_head, with_plg, proposal_source) -> str:
        if proposal_source is None:
            if rpn_head is None:
                if with_plg:
                    raise ValueError('with_plg=True needs an rpn_head')
                return 'none'
            return 'trpn' if with_plg is False else 'trpn_pl'
        if proposal_source not in PROPOSAL_SOURCES:
            raise ValueError(f'proposal_source must be one of '
                             f'{PROPOSAL_SOURCES}, got {proposal_source}')
        if with_plg is not None and bool(with_plg) != (
                proposal_source == 'trpn_pl'):
            raise ValueError(
                f'with_plg={with_plg} contradicts proposal_source='
                f"'{proposal_source}' (PLG is on exactly for 'trpn_pl')")
        if proposal_source in ('trpn', 'trpn_pl') and rpn_head is None:
            raise ValueError(f"proposal_source='{proposal_source}' needs an "
                             'rpn_head')
        return proposal_source

    @property
    def with_neck(self) -> bool:
        return self.neck is not None

    @property
    def with_trpn(self) -> bool:
        return self.rpn_head is not None

    # ------------------------------------------------------------------ utils
    def extract_feat(self, x: torch.Tensor,
                     valid: torch.Tensor) -> torch.Tensor:
        """Fused features ``X+`` (B, T, D_rgb + D_flow), zero at padding."""
        assert x.shape[-1] == sum(self.feature_dims), (
            f'inputs have {x.shape[-1]} columns, feature_dims say '
            f'{self.feature_dims}')
        if self.with_neck:
            return self.neck(x, valid)
        return x * valid.unsqueeze(-1)

    @staticmethod
    def _labels(data_samples, device, dtype) -> torch.Tensor:
        return torch.stack([
            torch.as_tensor(ds.gt_label, device=device).to(dtype).reshape(-1)
            for ds in data_samples
        ])

    def gt_proposal_mask(self, data_samples, valid: torch.Tensor
                         ) -> torch.Tensor:
        """(B, T) oracle mask from each sample's ``gt_segments`` (seconds)."""
        masks = valid.new_zeros(valid.shape)
        for i, ds in enumerate(data_samples):
            length = int(valid[i].sum().item())
            mask = segments_to_snippet_mask(
                ds.gt_segments,
                float(ds.metainfo['snippet_duration']),
                length,
                snippet_indices=ds.get('snippet_indices', None),
                device=valid.device)
            masks[i, :length] = mask.to(masks.dtype)
        return masks

    # ---------------------------------------------------------------- forward
    def forward(self,
                inputs: Union[torch.Tensor, List[torch.Tensor]],
                data_samples: Optional[List[BaseDataElement]] = None,
                mode: str = 'tensor'):
        """Dispatch to :meth:`loss`, :meth:`predict` or :meth:`_forward`."""
        if mode == 'tensor':
            return self._forward(inputs, data_samples)
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        raise RuntimeError(f'Invalid mode "{mode}". Only supports loss, '
                           'predict and tensor mode')

    def _forward(self, inputs, data_samples=None):
        """Raw outputs ``(T-CAS_full (B,T,C+1), fg_curve (B,T), valid)``."""
        x, valid = pad_inputs(inputs)
        feat = self.extract_feat(x, valid)
        tcas_full = self.cls_head(feat, valid)
        fss_trpn = self.rpn_head(feat, valid) if self.with_trpn else None
        fg = self._fg_curve(tcas_full, valid, fss_trpn)
        return tcas_full, fg, valid

    def _fg_curve(self, tcas_full, valid, fss_trpn=None):
        if fss_trpn is not None and self.test_cfg['fg_source'] == 'trpn':
            return fss_trpn
        return (1 - tcas_full[..., -1]) * valid

    # ------------------------------------------------------------------- loss
    def loss(self, inputs, data_samples: List[BaseDataElement]
             ) -> Dict[str, torch.Tensor]:
        """Loss terms (keys with ``loss``) and diagnostics (without)."""
        x, valid = pad_inputs(inputs)
        feat = self.extract_feat(x, valid)
        labels = self._labels(data_samples, x.device, x.dtype)
        w = self.loss_weights
        losses, diag = {}, {}

        fss_trpn = None
        if self.with_trpn:
            fss_trpn = self.rpn_head(feat, valid)
            mask = self.rpn_head.sample_mask(fss_trpn, valid)
        elif self.proposal_source == 'gt':
            mask = self.gt_proposal_mask(data_samples, valid)
        else:
            mask = None

        tcas_masked = None
        if mask is not None:
            tcas_masked = self.cls_head(feat * mask.unsqueeze(-1), valid)
            video_probs = self.cls_head.masked_avg_pool(
                tcas_masked, mask, valid)
            losses['loss_mil_proposal'] = w['mil_proposal'] * \
                self.cls_head.loss(video_probs, labels, background=0.)

        # the full branch is the MIL of the baseline, the ACoL branch, and
        # the default source of the pseudo-label
        mil_full = mask is None or self.with_acol
        need_full = mil_full or (self.with_plg
                                 and self.pseudo_label_source == 'full')
        tcas_full = self.cls_head(feat, valid) if need_full else None
        if mil_full:
            video_probs = self.cls_head.topk_pool(tcas_full, valid)
            losses['loss_mil_full'] = w['mil_full'] * \
                self.cls_head.loss(video_probs, labels, background=1.)

        if self.with_plg:
            tcas_src = (
                tcas_full
                if self.pseudo_label_source == 'full' else tcas_masked)
            fss_cls = (1 - tcas_src[..., -1]) * valid
            losses['loss_kl'] = w['kl'] * self.loss_kl(
                fss_trpn, fss_cls, tcas_src, valid)
            losses['loss_ml'] = w['ml'] * self.loss_ml(
                fss_trpn, fss_cls, valid)

        num_valid = valid.sum().clamp_min(1)
        if mask is not None:
            diag['proposal_ratio'] = (mask.detach() * valid).sum() / num_valid
        if fss_trpn is not None:
            diag['fss_trpn_mean'] = (fss_trpn.detach() *
                                     valid).sum() / num_valid
        losses.update(diag)
        return losses

    # ---------------------------------------------------------------- predict
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
        feat = self.extract_feat(x, valid)
        tcas_full = self.cls_head(feat, valid)
        cas = tcas_full[..., :self.num_classes]
        video_scores = topk_pool(cas, valid, self.test_cfg['topk_ratio'])
        fss_trpn = self.rpn_head(feat, valid) if self.with_trpn else None
        fg = self._fg_curve(tcas_full, valid, fss_trpn)
        if self.with_trpn:
            proposal = self.rpn_head.predict_mask(fss_trpn, valid)
        elif self.proposal_source == 'gt' and data_samples is not None:
            proposal = self.gt_proposal_mask(data_samples, valid)
        else:
            proposal = valid.clone()

        if data_samples is None:
            data_samples = [BaseDataElement() for _ in range(x.shape[0])]
        results = []
        for i, ds in enumerate(data_samples):
            length = int(valid[i].sum().item())
            out = ds.clone()
            cas_i = cas[i, :length]
            fg_i = fg[i, :length]
            pred = self._postprocess(cas_i, video_scores[i], fg_i, ds)
            out.pred_segments = torch.as_tensor(
                pred['segments'], dtype=torch.float32).reshape(-1, 2)
            out.pred_labels = torch.as_tensor(
                pred['labels'], dtype=torch.int64).reshape(-1)
            out.pred_scores = torch.as_tensor(
                pred['scores'], dtype=torch.float32).reshape(-1)
            out.video_scores = video_scores[i].cpu()
            out.fg_curve = fg_i.cpu()
            out.cas = cas_i.cpu()
            out.proposal_mask = proposal[i, :length].cpu()
            results.append(out)
        return results

    def _postprocess(self, cas, video_scores, fg_curve, data_sample):
        if self.postprocessor is None:
            return dict(
                segments=np.zeros((0, 2), np.float32),
                labels=np.zeros((0, ), np.int64),
                scores=np.zeros((0, ), np.float32))
        meta = data_sample.metainfo
        return self.postprocessor(
            cas.float().cpu().numpy(),
            video_scores.float().cpu().numpy(),
            fg_curve.float().cpu().numpy(),
            snippet_duration=float(meta['snippet_duration']),
            duration=meta.get('duration', None))
