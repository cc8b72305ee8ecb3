"""The one contract of every snippet-feature WSTAL localizer.

As mmdet's ``TwoStageDetector`` composes its RPN and RoI heads, the base
owns what all localizers share: input padding and the width check, the
default ``test_cfg`` merged with the user's, the proposal stage (Table 4's
switch) with its masked branch and pseudo-label losses, the diagnostics,
and the packing of predictions. A detector implements only its network and
its own losses:

==========================  ==============================================
``extract_feat``            network outputs (dict) of padded inputs
``classify``                class probabilities of (masked) features
``loss_by_feat``            the detector's own losses
``training_foreground``     its foreground curve and T-CAS (PLG teacher)
``predict_by_feat``         class scores, video scores, foreground curve
==========================  ==============================================
"""
import copy
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement

from mmtrpn.registry import MODELS, TASK_UTILS
from mmtrpn.structures.segments import rows_to_seconds
from ..utils import (append_background, build_with_defaults, call_module,
                     check_choice, masked_avg_pool, masked_mean,
                     merge_defaults, pad_inputs)

# Where the foreground curve of the predictions comes from: the detector's
# own ('detector') or the proposal stage's FSS_trpn where it has one
# ('proposal'); the former names map to these.
FG_SOURCES = ('detector', 'proposal')
FG_SOURCES_RENAMED = dict(trpn='proposal', cls='detector',
                          attention='detector')
NO_PROPOSALS = dict(type='TemporalProposalStage', source='none')


class BaseWSTALLocalizer(BaseModel):
    """Base of every WSTAL localizer (``DTRPLoc``, ``CO2Net``, ``ASMLoc``,
    ``TopkMIL``).

    ``inputs`` are a list of (T_i, D_rgb + D_flow) tensors (RGB columns
    first) or a stacked (B, T, D) tensor; lists are zero-padded with a
    (B, T) ``valid`` mask that every module respects.

    Training (``loss``)::

        out    = extract_feat(x, valid, data_samples)       # the network
        losses = loss_by_feat(out, labels, valid, ...)      # its own losses
               + loss_mil_proposal                          # masked branch
               + stage.loss(FSS_trpn, *training_foreground(out, valid))
               + diagnostics (no 'loss' in their keys, never summed)

    The masked branch classifies ``out['feat'] * mask`` with ``classify``,
    average-pools it over the training mask (background target 0) and
    weighs it by ``loss_weights.mil_proposal``. ``out['rpn_feat']``, when
    present, is what the T-RPN reads at training instead of
    ``out['feat']``. A detector whose own losses read the training mask
    (``out['proposal_mask']``) sets ``base_losses_after_proposals``.

    Inference (``predict``): ``predict_by_feat`` gives class scores
    (B, T, C), video scores (B, C) and the detector's foreground curve
    (B, T); ``test_cfg.fg_source='proposal'`` takes the stage's curve where
    it has one; ``test_cfg.postprocessor`` turns them into segments.

    A subclass takes its own arguments and passes the others
    (``**kwargs``) to ``super().__init__``, first, then calls
    :meth:`init_proposal_stage` where its parameters' initialisation order
    wants it (the seeds fix the random numbers each layer draws).

    Args:
        num_classes (int): Number of action classes C.
        feature_dims (Sequence[int]): ``(D_rgb, D_flow)``.
        proposal_stage (dict): ``TemporalProposalStage`` config;
            ``source='none'`` means no proposals. ``in_channels`` defaults
            to ``D_rgb + D_flow``.
        loss_proposal_mil (dict): Video-level loss of the masked branch.
        loss_weights (dict, optional): Merged over the class's
            ``DEFAULT_LOSS_WEIGHTS`` (every detector has ``mil_proposal``).
        test_cfg (dict, optional): Merged over the class's
            ``DEFAULT_TEST_CFG``: ``postprocessor`` (config of a callable,
            None to skip segment generation), ``fg_source`` (one of
            :data:`FG_SOURCES`) and the detector's own keys.
        data_preprocessor (dict): Defaults to ``BaseDataPreprocessor``.
        init_cfg (dict, optional): MMEngine initialisation config.
    """

    DEFAULT_TEST_CFG: dict = dict(
        postprocessor=dict(type='WSTALPostProcessor'), fg_source='detector')
    DEFAULT_LOSS_WEIGHTS: dict = dict(mil_proposal=1.0)
    base_losses_after_proposals: bool = False

    def __init__(self,
                 num_classes: int,
                 feature_dims: Sequence[int] = (1024, 1024),
                 proposal_stage: dict = NO_PROPOSALS,
                 loss_proposal_mil: dict = dict(type='BalancedMILLoss'),
                 loss_weights: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = dict(
                     type='BaseDataPreprocessor'),
                 init_cfg: Optional[dict] = None):
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.num_classes = int(num_classes)
        feature_dims = tuple(int(d) for d in feature_dims)
        if len(feature_dims) != 2:
            raise ValueError('model.feature_dims is (D_rgb, D_flow), got '
                             f'{feature_dims}')
        self.feature_dims = feature_dims
        self.test_cfg = merge_defaults('model.test_cfg',
                                       self.DEFAULT_TEST_CFG, test_cfg)
        check_choice('model.test_cfg.fg_source', self.test_cfg['fg_source'],
                     FG_SOURCES, FG_SOURCES_RENAMED)
        self.loss_weights = merge_defaults(
            'model.loss_weights', self.DEFAULT_LOSS_WEIGHTS, loss_weights)
        post = self.test_cfg['postprocessor']
        self.postprocessor = TASK_UTILS.build(post) if isinstance(
            post, dict) else post
        if not isinstance(proposal_stage, dict):
            raise TypeError(
                'model.proposal_stage must be a config dict; say '
                "dict(type='TemporalProposalStage', source='none') for no "
                f'proposals, got {proposal_stage!r}')
        self._proposal_stage_cfg = copy.deepcopy(proposal_stage)
        self.loss_proposal_mil = MODELS.build(loss_proposal_mil)

    def init_proposal_stage(self) -> None:
        """Build ``self.proposal_stage`` from the config, reading features
        ``D_rgb + D_flow`` wide unless it says otherwise."""
        self.proposal_stage = build_with_defaults(
            self._proposal_stage_cfg, type='TemporalProposalStage',
            in_channels=sum(self.feature_dims))

    @property
    def with_proposals(self) -> bool:
        return self.proposal_stage.with_proposals

    # ------------------------------------------------------ detector's part
    def extract_feat(self, x: torch.Tensor, valid: torch.Tensor,
                     data_samples=None) -> dict:
        """Network outputs of padded ``x`` (B, T, D); ``feat`` (B, T, D')
        is what the proposal stage reads and masks."""
        raise NotImplementedError

    def classify(self, feat: torch.Tensor, valid: torch.Tensor,
                 call: Callable = call_module) -> torch.Tensor:
        """(B, T, D') features -> (B, T, C + 1) class probabilities,
        background last (the masked branch). The classifier's parameterised
        module runs as ``call(module, *args)``: the masked branch passes the
        proposal stage's ``classify_masked``, which gates the gradient into
        the module's parameters (``classifier_grad``)."""
        raise NotImplementedError

    def loss_by_feat(self, out: dict, labels: torch.Tensor,
                     valid: torch.Tensor, data_samples
                     ) -> Dict[str, torch.Tensor]:
        """The detector's own loss terms; ``labels`` (B, C)."""
        raise NotImplementedError

    def training_foreground(self, out: dict, valid: torch.Tensor
                            ) -> Optional[Tuple[torch.Tensor,
                                                torch.Tensor]]:
        """The detector's foreground curve (B, T) and the class
        probabilities (B, T, C + 1) behind it, which teach the T-RPN
        (PLG); None where the detector computed none this step."""
        raise NotImplementedError

    def predict_by_feat(self, out: dict, valid: torch.Tensor,
                        proposal: Optional[torch.Tensor]
                        ) -> Tuple[torch.Tensor, torch.Tensor,
                                   torch.Tensor]:
        """Class scores (B, T, C), video scores (B, C) and the detector's
        foreground curve (B, T); ``proposal`` (B, T) is the stage's test
        mask (None without one)."""
        raise NotImplementedError

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

    def prepare_inputs(self, inputs) -> Tuple[torch.Tensor, torch.Tensor]:
        """Padded (B, T, D) inputs and their (B, T) mask; ValueError when
        D is not ``D_rgb + D_flow``."""
        x, valid = pad_inputs(inputs)
        if x.shape[-1] != sum(self.feature_dims):
            raise ValueError(
                f'inputs have {x.shape[-1]} columns, model.feature_dims '
                f'say {self.feature_dims} (D_rgb + D_flow = '
                f'{sum(self.feature_dims)})')
        return x, valid

    def _forward(self, inputs, data_samples=None) -> dict:
        """The raw network outputs of :meth:`extract_feat` and ``valid``."""
        x, valid = self.prepare_inputs(inputs)
        out = self.extract_feat(x, valid, data_samples)
        out['valid'] = valid
        return out

    @staticmethod
    def stack_labels(data_samples, like: torch.Tensor) -> torch.Tensor:
        """(B, C) video labels on the device and dtype of ``like``."""
        return torch.stack([
            torch.as_tensor(ds.gt_label, device=like.device).to(
                like.dtype).reshape(-1) for ds in data_samples
        ])

    # ------------------------------------------------------------------- loss
    def loss(self, inputs, data_samples: List[BaseDataElement]
             ) -> Dict[str, torch.Tensor]:
        """Loss terms (keys with ``loss``) and diagnostics (without)."""
        x, valid = self.prepare_inputs(inputs)
        labels = self.stack_labels(data_samples, x)
        out = self.extract_feat(x, valid, data_samples)
        losses = {}
        if not self.base_losses_after_proposals:
            losses.update(self.loss_by_feat(out, labels, valid, data_samples))
        add_losses(losses, self.proposal_branch_loss(out, labels, valid,
                                                     data_samples))
        if self.base_losses_after_proposals:
            add_losses(losses, self.loss_by_feat(out, labels, valid,
                                                 data_samples))
        teacher = None
        if self.proposal_stage.with_plg:
            teacher = self.training_foreground(out, valid)
            add_losses(losses, self.proposal_stage.loss(
                out['fss_trpn'], *teacher, valid))
        add_losses(losses, self.diagnostics(out, valid, data_samples,
                                            teacher))
        return losses

    def proposal_branch_loss(self, out: dict, labels: torch.Tensor,
                             valid: torch.Tensor, data_samples
                             ) -> Dict[str, torch.Tensor]:
        """The stage's training mask and ``FSS_trpn`` (kept in ``out`` as
        ``proposal_mask``, ``fss_trpn``), and the masked branch's
        ``loss_mil_proposal``: ``classify(feat * mask)`` (``classify(feat)``
        without the stage's ``mask_features``) averaged over the
        mask (``masked_probs`` in ``out``), background target 0; videos with
        an empty mask do not count. With the stage's
        ``classifier_topk_ratio`` the classifier's parameters learn from
        :meth:`focus_branch_loss` instead (the value logged is the same)."""
        stage = self.proposal_stage
        mask, fss = stage.train_proposals(
            out.get('rpn_feat', out['feat']), valid, data_samples)
        out['proposal_mask'], out['fss_trpn'] = mask, fss
        if mask is None:
            return {}
        feat = out['feat'] * mask.unsqueeze(-1) if stage.mask_features \
            else out['feat']
        probs = self.classify(feat, valid, call=stage.classify_masked)
        out['masked_probs'] = probs
        video = masked_avg_pool(probs, mask, valid)
        loss = self.loss_proposal_mil(video, append_background(labels, 0.),
                                      stage.nonempty(mask, valid))
        if stage.classifier_topk_ratio is not None and \
                stage.classifier_learns_from_mask:
            loss = loss + self.focus_branch_loss(out, mask, fss, labels,
                                                 valid)
        return dict(loss_mil_proposal=self.loss_weights['mil_proposal'] *
                    loss)

    def focus_branch_loss(self, out: dict, mask: torch.Tensor,
                          fss: torch.Tensor, labels: torch.Tensor,
                          valid: torch.Tensor) -> torch.Tensor:
        """``l - sg(l)``: zero in value, the masked branch's loss ``l`` on
        the stage's ``classifier_focus`` (the top-``rho`` ranked snippets of
        the mask), with gradient into the classifier's parameters only
        (``stage.classify_focus``): the classifier learns that those
        snippets are action, not every snippet of an imprecise mask."""
        stage = self.proposal_stage
        focus = stage.classifier_focus(mask, fss, valid)
        probs = self.classify(out['feat'].detach() * focus.unsqueeze(-1),
                              valid, call=stage.classify_focus)
        video = masked_avg_pool(probs, focus, valid)
        loss = self.loss_proposal_mil(video, append_background(labels, 0.),
                                      stage.nonempty(focus, valid))
        return loss - loss.detach()

    @torch.no_grad()
    def diagnostics(self, out: dict, valid: torch.Tensor, data_samples,
                    teacher=None) -> Dict[str, torch.Tensor]:
        """Logged values (no ``loss`` in their keys, never summed): the
        share of real snippets in the training mask (``proposal_ratio``),
        the share of videos with an empty mask (``proposal_empty``), the
        mean of ``FSS_trpn`` (``fss_trpn_mean``) and of the detector's own
        foreground curve (``fg_mean``)."""
        mask, fss = out.get('proposal_mask'), out.get('fss_trpn')
        diag = {}
        if mask is not None:
            diag['proposal_ratio'] = masked_mean(mask.detach(), valid)
            diag['proposal_empty'] = 1 - self.proposal_stage.nonempty(
                mask, valid).mean()
        if fss is not None:
            diag['fss_trpn_mean'] = masked_mean(fss.detach(), valid)
        if teacher is None:
            teacher = self.training_foreground(out, valid)
        if teacher is not None:
            diag['fg_mean'] = masked_mean(teacher[0].detach(), valid)
        if mask is not None:
            diag.update(self.proposal_stage.gate_diagnostics())
        return diag

    # ---------------------------------------------------------------- predict
    @torch.no_grad()
    def predict(self, inputs, data_samples: Optional[List] = None,
                postprocessor=None) -> List[BaseDataElement]:
        """Localize actions in each (full) video.

        Returns one data sample per video, a copy of the input one with
        ``pred_segments`` (K, 2) seconds, ``pred_labels`` (K,),
        ``pred_scores`` (K,), ``video_scores`` (C,), ``fg_curve`` (T,),
        ``cas`` (T, C) and ``proposal_mask`` (T,). ``postprocessor``
        replaces the model's own (e.g. the pseudo-segment generator of
        ``PseudoSegmentExportHook``).
        """
        x, valid = self.prepare_inputs(inputs)
        out = self.extract_feat(x, valid, data_samples)
        mask, fss = self.proposal_stage.test_proposals(
            out['feat'], valid, data_samples)
        cas, video_scores, fg = self.predict_by_feat(out, valid, mask)
        if fss is not None and self.test_cfg['fg_source'] == 'proposal':
            fg = fss
        return self.pack_predictions(data_samples, valid, cas, video_scores,
                                     fg, mask, postprocessor)

    def pack_predictions(self, data_samples: Optional[List[BaseDataElement]],
                         valid: torch.Tensor, cas: torch.Tensor,
                         video_scores: torch.Tensor, fg: torch.Tensor,
                         proposal: Optional[torch.Tensor] = None,
                         postprocessor=None) -> List[BaseDataElement]:
        """One output sample per video, as :meth:`predict` documents.

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


def add_losses(losses: Dict[str, torch.Tensor],
               more: Dict[str, torch.Tensor]) -> None:
    """``losses.update(more)``, refusing to overwrite a key: two terms of
    one name would silently drop one of them."""
    clash = set(losses) & set(more)
    if clash:
        raise KeyError(f'loss terms {sorted(clash)} are computed twice '
                       '(by the detector and its proposal stage)')
    losses.update(more)
