"""What every snippet-feature WSTAL localizer shares with its siblings.

Forward dispatch, label stacking, prediction packing and post-processing,
and the optional plug-in proposal stage (``proposal_stage=None | dict``):
the detector builds it with ``in_channels`` set to the width of the features
it masks, trains a masked branch on ``feat * mask`` (average-pooled MIL,
background target 0) beside its own losses, and adds the stage's
pseudo-label losses computed from its own foreground curve.
"""
import copy
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement

from mmtrpn.registry import MODELS, TASK_UTILS
from mmtrpn.structures.wstal_data_sample import as_numpy
from ..heads.masked_cls_head import masked_avg_pool


class BaseWSTALLocalizer(BaseModel):
    """Base of :class:`DTRPLoc`, :class:`CO2Net` and :class:`ASMLoc`.

    Subclasses implement ``loss``, ``predict`` and ``_forward`` on padded
    ``(B, T, D)`` inputs with a ``(B, T)`` ``valid`` mask.

    Args:
        num_classes (int): Number of action classes C.
        proposal_stage (dict, optional): Config of a proposal stage
            (``TemporalProposalStage``); ``in_channels`` defaults to
            ``proposal_in_channels`` of the subclass. None: no proposals.
        loss_proposal_mil (dict): Video-level loss of the masked branch.
        postprocessor (dict | callable, optional): Segment generator; None
            skips segment generation.
        data_preprocessor (dict): Defaults to ``BaseDataPreprocessor``.
        init_cfg (dict, optional): MMEngine initialisation config.
    """

    def __init__(self,
                 num_classes: int,
                 proposal_stage: Optional[dict] = None,
                 proposal_in_channels: Optional[int] = None,
                 loss_proposal_mil: dict = dict(type='BalancedMILLoss'),
                 postprocessor=None,
                 data_preprocessor: Optional[dict] = dict(
                     type='BaseDataPreprocessor'),
                 init_cfg: Optional[dict] = None):
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.num_classes = int(num_classes)
        self.proposal_stage = None
        if proposal_stage is not None:
            self.build_proposal_stage(proposal_stage, proposal_in_channels,
                                      loss_proposal_mil)
        self.postprocessor = TASK_UTILS.build(postprocessor) if isinstance(
            postprocessor, dict) else postprocessor

    def build_proposal_stage(self, cfg: dict, in_channels: Optional[int],
                             loss_proposal_mil: Optional[dict] = None):
        """Build ``self.proposal_stage`` (and the masked-branch loss) from
        ``cfg``, with ``in_channels`` the width of the features it masks."""
        if not isinstance(cfg, dict):
            raise TypeError('model.proposal_stage must be None or a '
                            f'config dict, got {type(cfg)}')
        cfg = copy.deepcopy(cfg)
        cfg.setdefault('type', 'TemporalProposalStage')
        cfg.setdefault('in_channels', in_channels)
        self.proposal_stage = MODELS.build(cfg)
        if loss_proposal_mil is not None:
            self.loss_proposal_mil = MODELS.build(loss_proposal_mil)

    @property
    def with_proposals(self) -> bool:
        return self.proposal_stage is not None

    # ---------------------------------------------------------------- forward
    def forward(self, inputs, data_samples=None, mode: str = 'tensor'):
        """Dispatch to :meth:`loss`, :meth:`predict` or :meth:`_forward`."""
        if mode == 'tensor':
            return self._forward(inputs, data_samples)
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        raise RuntimeError(f'Invalid mode "{mode}". Only supports loss, '
                           'predict and tensor mode')

    @staticmethod
    def _labels(data_samples, device, dtype) -> torch.Tensor:
        return torch.stack([
            torch.as_tensor(ds.gt_label, device=device).to(dtype).reshape(-1)
            for ds in data_samples
        ])

    # --------------------------------------------------------- proposal stage
    def proposal_losses(self, feat: torch.Tensor, valid: torch.Tensor,
                        data_samples, labels: torch.Tensor, classify,
                        fss_cls: torch.Tensor, tcas: torch.Tensor,
                        rpn_feat: Optional[torch.Tensor] = None
                        ) -> Dict[str, torch.Tensor]:
        """Masked-branch MIL and the stage's pseudo-label losses.

        Args:
            feat (Tensor): (B, T, D) the features the stage masks.
            rpn_feat (Tensor, optional): (B, T, D) what the T-RPN reads to
                propose, when not ``feat``.
            classify (callable): ``feat -> (B, T, C + 1)`` class
                probabilities (background last), the detector's classifier.
            fss_cls (Tensor): (B, T) the detector's foreground curve.
            tcas (Tensor): (B, T, C + 1) its class probabilities.
        """
        if not self.with_proposals:
            return {}
        stage = self.proposal_stage
        mask, fss = stage.train_proposals(
            feat if rpn_feat is None else rpn_feat, valid, data_samples)
        losses = {}
        if mask is not None:
            probs = classify(feat * mask.unsqueeze(-1))
            video = masked_avg_pool(probs, mask, valid)
            bg = labels.new_zeros((labels.shape[0], 1))
            # a video whose mask is empty has no proposals to learn from
            losses['loss_mil_proposal'] = self.loss_proposal_mil(
                video, torch.cat([labels, bg], dim=-1),
                stage.nonempty(mask, valid))
        if fss is not None:
            losses.update(stage.loss(fss, fss_cls, tcas, valid))
        losses.update(self.proposal_diagnostics(mask, fss, valid))
        return losses

    @torch.no_grad()
    def proposal_diagnostics(self, mask, fss,
                             valid) -> Dict[str, torch.Tensor]:
        """Logged values (no ``loss`` in their keys, never summed): the
        share of real snippets in the training mask, the share of videos
        with an empty mask, the mean of ``FSS_trpn``."""
        diag = {}
        num_valid = valid.sum().clamp_min(1)
        if mask is not None:
            diag['proposal_ratio'] = (mask.detach() * valid).sum() / num_valid
            diag['proposal_empty'] = 1 - self.proposal_stage.nonempty(
                mask, valid).mean()
        if fss is not None:
            diag['fss_trpn_mean'] = (fss.detach() * valid).sum() / num_valid
        if mask is not None:
            diag.update(self.proposal_stage.gate_diagnostics())
        return diag

    def test_proposals(self, feat, valid, data_samples):
        """``(mask, fss)`` of the stage at test time; ``(None, None)``."""
        if not self.with_proposals:
            return None, None
        return self.proposal_stage.test_proposals(feat, valid, data_samples)

    # ---------------------------------------------------------------- predict
    def pack_predictions(self, data_samples: Optional[List[BaseDataElement]],
                         valid: torch.Tensor, cas: torch.Tensor,
                         video_scores: torch.Tensor, fg: torch.Tensor,
                         proposal: Optional[torch.Tensor] = None,
                         postprocessor=None) -> List[BaseDataElement]:
        """One output sample per video, as ``DTRPLoc.predict`` documents.

        ``cas`` (B, T, C), ``video_scores`` (B, C), ``fg`` (B, T) and
        ``proposal`` (B, T) are cut to each video's real length before
        post-processing; ``postprocessor`` overrides the model's own.
        """
        post = self.postprocessor if postprocessor is None else postprocessor
        if data_samples is None:
            data_samples = [BaseDataElement() for _ in range(cas.shape[0])]
        results = []
        for i, ds in enumerate(data_samples):
            length = int(valid[i].sum().item())
            out = ds.clone()
            cas_i, fg_i = cas[i, :length], fg[i, :length]
            pred = self._postprocess(post, cas_i, video_scores[i], fg_i, ds)
            out.pred_segments = torch.as_tensor(
                pred['segments'], dtype=torch.float32).reshape(-1, 2)
            out.pred_labels = torch.as_tensor(
                pred['labels'], dtype=torch.int64).reshape(-1)
            out.pred_scores = torch.as_tensor(
                pred['scores'], dtype=torch.float32).reshape(-1)
            out.video_scores = video_scores[i].cpu()
            out.fg_curve = fg_i.cpu()
            out.cas = cas_i.cpu()
            out.proposal_mask = (valid[i, :length] if proposal is None else
                                 proposal[i, :length]).cpu()
            results.append(out)
        return results

    def _postprocess(self, post, cas, video_scores, fg_curve, data_sample):
        if post is None:
            return dict(
                segments=np.zeros((0, 2), np.float32),
                labels=np.zeros((0, ), np.int64),
                scores=np.zeros((0, ), np.float32))
        meta = data_sample.metainfo
        pred = post(
            cas.float().cpu().numpy(),
            video_scores.float().cpu().numpy(),
            fg_curve.float().cpu().numpy(),
            snippet_duration=float(meta['snippet_duration']),
            duration=None if 'snippet_positions' in data_sample else
            meta.get('duration', None))
        if 'snippet_positions' in data_sample:
            pred = dict(pred)
            pred['segments'] = rows_to_seconds(
                pred['segments'], data_sample.snippet_positions,
                float(meta['snippet_duration']), meta.get('duration', None))
        return pred


def rows_to_seconds(segments: np.ndarray, positions: Sequence[float],
                    snippet_duration: float,
                    duration: Optional[float] = None) -> np.ndarray:
    """Map segments on resampled rows back to seconds of the video.

    ``segments`` are ``rows * snippet_duration`` (the post-processor's
    units); row ``t`` starts at original snippet ``positions[t]`` (fractional
    after dynamic sampling), and a row edge between two rows is placed by
    linear interpolation.
    """
    segments = np.asarray(segments, dtype=np.float64).reshape(-1, 2)
    pos = as_numpy(positions).astype(np.float64).reshape(-1)
    if segments.size == 0 or pos.size == 0:
        return segments
    step = pos[-1] - pos[-2] if pos.size > 1 else 1.0
    edges = np.append(pos, pos[-1] + max(step, 1e-6))
    rows = segments / snippet_duration
    out = np.interp(rows, np.arange(edges.size), edges) * snippet_duration
    if duration is not None:
        out = np.minimum(out, float(duration))
    return out
