"""CO2-Net: building blocks on hand-computed cases, masking, configs."""
import math

import pytest
import torch
from mmengine.structures import BaseDataElement

from mmtrpn.models.losses import (AttentionGuideLoss, AttentionNormLoss,
                                  CoActivitySimilarityLoss,
                                  MutualLearningLoss, TopkSoftmaxMILLoss)
from mmtrpn.models.losses.co2_losses import attention_suppress
from mmtrpn.models.necks import CrossModalConsensus
from mmtrpn.registry import MODELS
from mmtrpn.utils import register_all_modules

register_all_modules()


def _model(**kwargs):
    cfg = dict(type='CO2Net', num_classes=3, feature_dims=(8, 6),
               neck=dict(type='CO2Neck', attention_hidden=8),
               test_cfg=dict(postprocessor=None))
    cfg.update(kwargs)
    return MODELS.build(cfg)


def _samples(lengths, labels):
    out = []
    for length, label in zip(lengths, labels):
        ds = BaseDataElement(metainfo=dict(snippet_duration=0.5,
                                           duration=length * 0.5))
        ds.gt_label = torch.tensor(label, dtype=torch.float32)
        ds.gt_segments = torch.tensor([[0.5, 2.0]])
        out.append(ds)
    return out


# ------------------------------------------------------------------ losses
def test_topk_softmax_mil_by_hand_and_padding():
    logits = torch.tensor([[[1., 0., 2.], [3., 0., 0.], [2., 1., 0.],
                            [0., 1., 0.], [50., 50., 50.]]])
    valid = torch.tensor([[1., 1., 1., 1., 0.]])  # last row is padding
    labels = torch.tensor([[1., 0.]])
    # k = 4 // 2 = 2: top-2 means (2.5, 1, 1); target [1, 0, 1] / 2.0001
    lse = math.log(math.exp(2.5) + 2 * math.exp(1.0))
    expected = -((2.5 - lse) + (1.0 - lse)) / 2.0001
    loss = TopkSoftmaxMILLoss(ratio=2)(logits, labels, valid, background=1.)
    assert loss.item() == pytest.approx(expected, rel=1e-5)
    # background target 0: only the class term remains
    loss0 = TopkSoftmaxMILLoss(ratio=2, background=0.)(logits, labels, valid)
    assert loss0.item() == pytest.approx(-(2.5 - lse) / 1.0001, rel=1e-5)


def test_attention_suppress_by_hand():
    logits = torch.tensor([[[1., 3., -1.]]])
    out = attention_suppress(logits, torch.tensor([[0.5]]))
    assert out.tolist() == [[[0., 1., -1.]]]
    # attention 1 keeps the logits, 0 flattens them to the minimum
    assert torch.equal(attention_suppress(logits, torch.ones(1, 1)), logits)
    assert attention_suppress(logits, torch.zeros(1, 1)).tolist() == \
        [[[-1., -1., -1.]]]


def _co_activity_inputs(sign):
    feat = torch.tensor([[[1., 0.], [0., 1.]], [[1., 0.], [0., 1.]]])
    logits = torch.tensor([[[20., 0.], [-20., 0.]],
                           [[20. * sign, 0.], [-20. * sign, 0.]]])
    return feat, logits


def test_co_activity_similarity_by_hand():
    loss = CoActivitySimilarityLoss(margin=0.5)
    labels = torch.tensor([[1.], [1.]])
    valid = torch.ones(2, 2)
    # same high-attention feature in both videos: d(H, H) = 0 < d(H, L) = 1
    feat, logits = _co_activity_inputs(+1)
    assert loss(feat, logits, labels, valid).item() == pytest.approx(
        0.0, abs=1e-6)
    # opposite: d(H0, H1) = 1, d(H0, L1) = d(H1, L0) = 0 -> 0.5 * 1.5 * 2
    feat, logits = _co_activity_inputs(-1)
    assert loss(feat, logits, labels, valid).item() == pytest.approx(
        1.5, abs=1e-6)
    # no shared class: nothing to compare
    assert loss(feat, logits, torch.tensor([[1.], [0.]]), valid).item() == 0
    # a padded row with a large feature changes nothing
    feat_p = torch.cat([feat, torch.full((2, 1, 2), 100.)], 1)
    logits_p = torch.cat([logits, torch.full((2, 1, 2), 100.)], 1)
    valid_p = torch.tensor([[1., 1., 0.], [1., 1., 0.]])
    assert loss(feat_p, logits_p, labels, valid_p).item() == pytest.approx(
        1.5, abs=1e-6)


def test_co_activity_on_the_sampler_pairs_only():
    # four videos of class 0; the high-attention snippet alternates, so a
    # pair of equal signs costs 0 and one of opposite signs 1.5
    feat = torch.tensor([[1., 0.], [0., 1.]]).expand(4, 2, 2)
    signs = torch.tensor([1., -1., 1., -1.])
    logits = torch.stack([20 * signs, -20 * signs], 1)[..., None]
    logits = torch.cat([logits, torch.zeros(4, 2, 1)], -1)
    labels, valid = torch.ones(4, 1), torch.ones(4, 2)

    def value(num_pairs, y=labels):
        loss = CoActivitySimilarityLoss(num_pairs=num_pairs)
        return loss(feat, logits, y, valid).item()

    # every pair: (0,1), (0,3), (1,2), (2,3) opposite, (0,2), (1,3) equal
    assert value(None) == pytest.approx(1.0, abs=1e-6)
    # the sampler's pairs (0,1) and (2,3) only
    assert value(2) == pytest.approx(1.5, abs=1e-6)
    assert value(1) == pytest.approx(1.5, abs=1e-6)
    # a pair that shares no class drops out: (0,1) alone remains
    y = torch.tensor([[1.], [1.], [1.], [0.]])
    assert value(2, y) == pytest.approx(1.5, abs=1e-6)
    assert value(None, y) == pytest.approx(1.0, abs=1e-6)  # (0,1), (1,2)
    with pytest.raises(ValueError, match='batch of >= 6'):
        value(3)
    with pytest.raises(ValueError, match='num_pairs'):
        CoActivitySimilarityLoss(num_pairs=0)


def test_attention_norm_guide_and_mutual_by_hand():
    attn = torch.tensor([[0.2, 0.4, 0.9]])
    bg = torch.tensor([[0.5, 0.1, 0.0]])
    valid = torch.tensor([[1., 1., 0.]])
    assert AttentionNormLoss()(attn, valid).item() == pytest.approx(0.3)
    # |1 - 0.2 - 0.5| = 0.3, |1 - 0.4 - 0.1| = 0.5
    assert AttentionGuideLoss()(attn, bg, valid).item() == pytest.approx(0.4)
    rgb = torch.tensor([[0.2, 0.6, 0.0]])
    flow = torch.tensor([[0.4, 0.2, 1.0]])
    # CO2-Net: 0.5 MSE(rgb, sg(flow)) + 0.5 MSE(flow, sg(rgb)); MSE = 0.1
    mutual = MutualLearningLoss(alpha=(0.5, 0.5))(rgb, flow, valid)
    assert mutual.item() == pytest.approx(0.1)


# ------------------------------------------------------------------ modules
def test_consensus_module_with_zero_weights_halves_the_features():
    module = CrossModalConsensus(4, 3, attention_hidden=5).eval()
    for p in module.parameters():
        torch.nn.init.zeros_(p)
    main, other = torch.randn(2, 4, 6), torch.randn(2, 3, 6)
    valid = torch.tensor([[1.] * 6, [1.] * 4 + [0.] * 2])
    att, filtered = module(main, other, valid)
    # sigmoid(0 * 0) = 0.5 gate; attention sigmoid(0) = 0.5 on real snippets
    assert torch.allclose(filtered, 0.5 * main * valid.unsqueeze(1))
    assert torch.allclose(att, 0.5 * valid)


def test_shapes_and_batching_does_not_change_a_video():
    torch.manual_seed(0)
    for smooth in (None, 3):
        model = _model(smooth_kernel=smooth).eval()
        short, long = torch.randn(7, 14), torch.randn(12, 14)
        out = model._forward([long, short])
        logits, attn, valid = out['logits'], out['attn'], out['valid']
        assert logits.shape == (2, 12, 4) and attn.shape == (2, 12)
        out = model._forward([short])
        alone, attn_alone = out['logits'], out['attn']
        assert torch.allclose(logits[1, :7], alone[0], atol=1e-5)
        assert torch.allclose(attn[1, :7], attn_alone[0], atol=1e-6)
        assert torch.all(attn[1, 7:] == 0)


def test_loss_terms_and_inference_formula():
    torch.manual_seed(0)
    model = _model()
    inputs = [torch.randn(10, 14), torch.randn(8, 14)]
    samples = _samples([10, 8], [[1, 0, 0], [1, 1, 0]])
    losses = model(inputs, samples, mode='loss')
    assert {'loss_mil_orig', 'loss_mil_supp', 'loss_co_activity',
            'loss_mutual', 'loss_norm', 'loss_guide'} <= set(losses)
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    assert model.cls_head.cls.weight.grad is not None
    model.eval()
    out = model(inputs, samples, mode='predict')
    raw = model._forward(inputs)
    logits, attn = raw['logits'], raw['attn']
    # video scores: softmax of the top-(T // 10) mean of logits * attention
    s = logits[0, :10] * attn[0, :10, None]
    expected = torch.softmax(s.max(0).values, -1)[:3]
    assert torch.allclose(out[0].video_scores, expected, atol=1e-6)
    assert torch.allclose(out[0].fg_curve, attn[0, :10])
    assert out[0].cas.shape == (10, 3)


def test_proposal_stage_adds_the_masked_branch_and_plg():
    torch.manual_seed(0)
    model = _model(proposal_stage=dict(
        type='TemporalProposalStage', source='trpn_pl',
        rpn_head=dict(type='TRPNHead', hidden=8)))
    assert model.proposal_stage.rpn_head.conv1.in_channels == 14
    inputs = [torch.randn(10, 14), torch.randn(8, 14)]
    losses = model(inputs, _samples([10, 8], [[1, 0, 0], [0, 1, 0]]),
                   mode='loss')
    assert {'loss_mil_proposal', 'loss_kl', 'loss_ml'} <= set(losses)


def test_bad_proposal_configs_name_the_key():
    with pytest.raises(ValueError, match='proposal_stage.source'):
        _model(proposal_stage=dict(type='TemporalProposalStage',
                                   source='rpn'))
    with pytest.raises(TypeError, match='model.proposal_stage: DMFNeck'):
        MODELS.build(dict(type='DMFNeck', proposal_stage=dict(source='gt')))
    with pytest.raises(ValueError, match='model.test_cfg.fg_source'):
        _model(test_cfg=dict(fg_source='trpn'))
    with pytest.raises(KeyError, match='model.loss_weights'):
        _model(loss_weights=dict(contrastive=1.0))


# ------------------------------------------------------------------ configs
@pytest.mark.parametrize('config', [
    'co2net/co2net_thumos.py', 'co2net/co2net_anet.py',
    'ablations/t4_co2net_trpn.py',
    'ablations/t4_co2net_trpn-pl.py', 'ablations/t4_co2net_gt.py',
    'ablations/t4_co2net_trpn-pl_fgnorm.py'
])
def test_config_trains_and_tests_on_tiny_data(config, smoke, smoke_data,
                                              tmp_path):
    smoke(config, smoke_data, tmp_path / 'work')
