"""What every localizer owes the contract of BaseWSTALLocalizer."""
import copy
import math
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.structures import BaseDataElement

from mmtrpn.models.localizers import BaseWSTALLocalizer
from mmtrpn.registry import MODELS
from mmtrpn.utils import register_all_modules

register_all_modules()
REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TRPN = dict(type='TemporalProposalStage', source='trpn_pl',
            rpn_head=dict(type='TRPNHead', hidden=8))
SMALL = {
    'DTRPLoc': dict(neck=dict(type='DMFNeck', temporal_hidden=8),
                    cls_head=dict(type='MaskedClassifierHead', hidden=8)),
    'CO2Net': dict(neck=dict(type='CO2Neck', attention_hidden=8)),
    'ASMLoc': dict(),
    'TopkMIL': dict(cls_head=dict(type='MaskedClassifierHead', hidden=8)),
}
DETECTORS = list(SMALL)


def build(kind, **overrides):
    cfg = dict(type=kind, num_classes=3, feature_dims=(8, 8),
               **copy.deepcopy(SMALL[kind]))
    cfg.update(overrides)
    return MODELS.build(cfg)


def samples(lengths, labels=((1., 0., 0.), (0., 1., 1.))):
    out = []
    for i, t in enumerate(lengths):
        ds = BaseDataElement(metainfo=dict(
            video_name=f'v{i}', duration=t * 0.64, snippet_duration=0.64,
            num_snippets=t, feature_dims=(8, 8)))
        ds.gt_label = torch.tensor(labels[i % len(labels)])
        ds.gt_segments = torch.tensor([[0.64, 2.56]])
        ds.gt_labels = torch.tensor([0])
        out.append(ds)
    return out


def test_every_registered_localizer_is_a_base_localizer():
    for kind in DETECTORS:
        assert issubclass(MODELS.get(kind), BaseWSTALLocalizer)


@pytest.mark.parametrize('kind', DETECTORS)
def test_partial_test_cfg_keeps_the_postprocessor(kind):
    # one key of test_cfg must not drop the default post-processor (the
    # former CO2-Net/ASM-Loc merge over postprocessor=None detected
    # nothing)
    model = build(kind, test_cfg=dict(fg_source='proposal'))
    assert type(model.postprocessor).__name__ == 'WSTALPostProcessor'
    assert model.test_cfg['fg_source'] == 'proposal'
    if 'topk_ratio' in model.DEFAULT_TEST_CFG:
        model = build(kind, test_cfg=dict(topk_ratio=4))
        assert type(model.postprocessor).__name__ == 'WSTALPostProcessor'


@pytest.mark.parametrize('kind', DETECTORS)
def test_one_width_check_one_exception(kind):
    model = build(kind).eval()
    with pytest.raises(ValueError, match=r'inputs have 15 columns, '
                       r'model.feature_dims say \(8, 8\)'):
        model.predict([torch.randn(6, 15)], samples([6]))
    with pytest.raises(ValueError, match='model.feature_dims'):
        build(kind, feature_dims=(16, ))


@pytest.mark.parametrize('kind', DETECTORS)
def test_one_vocabulary_and_one_way_to_say_no_proposals(kind):
    with pytest.raises(ValueError, match="'attention' is now 'detector'"):
        build(kind, test_cfg=dict(fg_source='attention'))
    with pytest.raises(TypeError, match="source='none'"):
        build(kind, proposal_stage=None)
    assert not build(kind, proposal_stage=dict(
        type='TemporalProposalStage', source='none')).with_proposals


@pytest.mark.parametrize('kind', DETECTORS)
def test_loss_has_own_terms_proposal_terms_and_diagnostics(kind):
    torch.manual_seed(0)
    model = build(kind, proposal_stage=copy.deepcopy(TRPN)).train()
    losses = model([torch.randn(12, 16), torch.randn(9, 16)],
                   samples([12, 9]), mode='loss')
    assert {'loss_mil_proposal', 'loss_kl', 'loss_ml'} <= set(losses)
    # diagnostics: no 'loss' in their keys, one name per concept
    assert {'proposal_ratio', 'proposal_empty', 'fss_trpn_mean',
            'fg_mean'} <= set(losses)
    own = {k for k in losses if 'loss' in k} - {
        'loss_mil_proposal', 'loss_kl', 'loss_ml'}
    assert own, 'the detector adds its own loss terms'
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total)
    total.backward()
    assert any(p.grad is not None
               for p in model.proposal_stage.rpn_head.parameters())


@pytest.mark.parametrize('kind', DETECTORS)
def test_predict_takes_a_postprocessor(kind):
    """The signature PseudoSegmentExportHook calls: a replacement
    post-processor gives the segments."""
    calls = []

    def one_segment(cas, video_scores, fg_curve, snippet_duration,
                    duration=None):
        calls.append(cas.shape)
        return dict(segments=[[0.0, snippet_duration]], labels=[1],
                    scores=[0.5])

    model = build(kind, test_cfg=dict(postprocessor=None)).eval()
    preds = model.predict([torch.randn(10, 16)], samples([10]),
                          postprocessor=one_segment)
    assert calls == [(10, 3)]
    assert preds[0].pred_segments.tolist() == [[0.0, pytest.approx(0.64)]]
    assert preds[0].pred_labels.tolist() == [1]
    # without one: the model's own (None here: no segments)
    assert model.predict([torch.randn(10, 16)],
                         samples([10]))[0].pred_segments.shape == (0, 2)


def test_topk_mil_loss_by_hand():
    # a classifier that outputs uniform probabilities 1/3 over C + 1 = 3:
    # labels [1, 0] + background 1 -> BalancedMIL = -(log 1/3 + log 2/3)
    model = build('TopkMIL', num_classes=2).eval()
    for p in model.cls_head.parameters():
        torch.nn.init.zeros_(p)
    losses = model([torch.randn(8, 16)],
                   samples([8], labels=((1., 0.), )), mode='loss')
    assert losses['loss_mil'].item() == pytest.approx(math.log(4.5))
    assert losses['fg_mean'].item() == pytest.approx(2 / 3)


def test_topk_mil_is_table3_row1():
    """The worked example equals DTRP-Loc without neck and proposals: same
    parameters from the same seed, same loss."""
    torch.manual_seed(0)
    ours = build('TopkMIL').train()
    torch.manual_seed(0)
    dtrp = build('DTRPLoc', neck=None, proposal_stage=dict(
        type='TemporalProposalStage', source='none')).train()
    dtrp_state = {k: v for k, v in dtrp.state_dict().items()}
    for key, value in ours.state_dict().items():
        assert torch.equal(value, dtrp_state[key]), key
    inputs, data = [torch.randn(12, 16), torch.randn(7, 16)], samples([12, 7])
    torch.manual_seed(1)
    a = ours(inputs, data, mode='loss')['loss_mil']
    torch.manual_seed(1)
    b = dtrp(inputs, data, mode='loss')['loss_mil_full']
    assert torch.equal(a, b)


def test_topk_mil_config_builds():
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'topk_mil',
                                   'topk_mil_thumos.py'))
    model = MODELS.build(cfg.model)
    assert type(model).__name__ == 'TopkMIL'
    assert model.cls_head.f.in_channels == 2048
    assert model.proposal_stage.source == 'none'


def test_proposal_stage_on_a_module_without_one_lists_the_localizers():
    # the contract's arguments reach the base through **kwargs; the hint
    # still finds every localizer that takes a proposal stage
    with pytest.raises(TypeError, match='model.proposal_stage: DMFNeck '
                       'cannot take a proposal stage.*ASMLoc, CO2Net, '
                       'DTRPLoc, TopkMIL'):
        MODELS.build(dict(type='DMFNeck', rgb_channels=4, flow_channels=4,
                          proposal_stage=dict(source='gt')))
