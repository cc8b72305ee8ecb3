"""ASM-Loc: building blocks on hand-computed cases, masking, refinement."""
import json
import math

import numpy as np
import pytest
import torch
from mmengine.structures import BaseDataElement

from mmtrpn.datasets.transforms import LoadPseudoSegments
from mmtrpn.datasets.transforms.pseudo_segments import (
    DynamicSegmentSampling, dynamic_positions, dynamic_segment_weights,
    expand_segments, interpolate_rows, remove_nested)
from mmtrpn.models.losses import ASMLocMILLoss, UncertaintyPseudoInstanceLoss
from mmtrpn.models.necks import InterSegmentAttention, IntraSegmentAttention
from mmtrpn.models.necks.asm_attention import (masked_attention,
                                               segment_blocks)
from mmtrpn.registry import MODELS
from mmtrpn.testing import reference_masked_attention
from mmtrpn.utils import register_all_modules

register_all_modules()


def _model(**kwargs):
    cfg = dict(type='ASMLoc', num_classes=2, feature_dims=(8, 8),
               test_cfg=dict(postprocessor=None))
    cfg.update(kwargs)
    return MODELS.build(cfg)


def _samples(lengths, with_segments=True):
    out = []
    for i, length in enumerate(lengths):
        ds = BaseDataElement(metainfo=dict(snippet_duration=1.0,
                                           duration=float(length)))
        ds.gt_label = torch.tensor([1., 0.] if i % 2 == 0 else [0., 1.])
        ds.gt_segments = torch.tensor([[1.0, 3.0]])
        if with_segments:
            ds.attention_segments = torch.tensor([[0.5, 3.0], [4.0, 6.0]])
            ds.pseudo_segments = torch.tensor([[1.0, 2.5]])
            ds.pseudo_labels = torch.tensor([i % 2])
            ds.pseudo_scores = torch.tensor([0.9])
        out.append(ds)
    return out


# ------------------------------------------------------------------ losses
def test_mil_loss_by_hand():
    fg_cls = torch.tensor([[0.5, 0.25, 0.25]])
    bg_cls = torch.tensor([[0.2, 0.2, 0.6]])
    out = ASMLocMILLoss(lamb_fg=1.0, lamb_bg=0.5, lamb_abg=0.5)(
        fg_cls, bg_cls, torch.tensor([[1., 0.]]))
    assert out['loss_fg'].item() == pytest.approx(-math.log(0.5))
    assert out['loss_bg'].item() == pytest.approx(-0.5 * math.log(0.6))
    assert out['loss_abg'].item() == pytest.approx(-0.5 * math.log(0.2))


def test_uncertainty_pseudo_instance_loss_by_hand():
    cas = torch.tensor([[[0.8, 0.2], [0.5, 0.5], [0.1, 0.9]]])
    target = torch.tensor([[[1., 0.], [0., 1.], [1., 0.]]])
    unc = torch.tensor([[0.0, math.log(2.0), 5.0]])
    valid = torch.tensor([[1., 1., 0.]])  # the last row is padding
    loss = UncertaintyPseudoInstanceLoss(beta=0.2)(cas, target, unc, valid)
    expected = (-math.log(0.8) + -math.log(0.5) / 2 +
                0.2 * math.log(2.0)) / 2
    assert loss.item() == pytest.approx(expected, rel=1e-6)


# -------------------------------------------------------- pseudo segments
def test_remove_nested_and_expand_by_hand():
    seg = [[4, 8], [0, 5], [1, 3], [1, 3], [6, 7]]
    assert remove_nested(seg).tolist() == [[0, 5], [4, 8]]
    assert expand_segments([[2, 4]], 0.5).tolist() == [[1, 5]]
    assert expand_segments([[2, 4]], 0.0).tolist() == [[2, 4]]


def test_dynamic_weights_and_positions_by_hand():
    seg = np.array([[2.0, 3.0], [6.0, 9.0]])
    labels = np.array([0, 0])
    scores = np.array([0.6, 0.4])
    # alpha 0.7 keeps only the best segment (cumulative 0.6 <= 0.7);
    # gamma 3, delta 0: U = 3, the 2-snippet segment gets weight 1.5
    w = dynamic_segment_weights(10, seg, labels, scores, 1.0, alpha=0.7,
                                gamma=3, delta=0.0)
    assert w.tolist() == [1, 1, 1.5, 1.5, 1, 1, 1, 1, 1, 1]
    pos = dynamic_positions(w)
    expected = [0, 1, 1 + 2 / 3, 2 + 1 / 3, 3, 4, 5, 6, 7, 8, 9]
    assert np.allclose(pos, expected)
    assert np.allclose(dynamic_positions(np.ones(5)), np.arange(5))
    feat = np.array([[0.], [10.], [20.]], np.float32)
    assert interpolate_rows(feat, np.array([0.5, 1.25, 2.0]))[:, 0].tolist(
    ) == [5.0, 12.5, 20.0]


def _segment_file(tmp_path, results):
    path = tmp_path / 'segments.json'
    path.write_text(json.dumps(dict(classes=['a', 'b'], snippet_duration=1.0,
                                    results=results)))
    return str(path)


def test_load_pseudo_segments_keeps_gt_classes_for_training(tmp_path):
    path = _segment_file(tmp_path, {'v': [
        dict(segment=[1, 2], label=0, score=0.5),
        dict(segment=[1.5, 1.8], label=0, score=0.9),
        dict(segment=[5, 6], label=1, score=0.7)]})
    results = dict(video_name='v', label=np.array([1., 0.]))
    out = LoadPseudoSegments(path, use_gt_labels=True, delta=0.5)(
        dict(results))
    assert out['pseudo_labels'].tolist() == [0, 0]
    assert out['pseudo_scores'].tolist() == pytest.approx([0.9, 0.5])
    # [1.5, 1.8] lies inside [1, 2]; [1, 2] grown by half its length a side
    assert out['attention_segments'].tolist() == [[0.5, 2.5]]
    test = LoadPseudoSegments(path, use_gt_labels=False, delta=0.0)(
        dict(results))
    assert sorted(test['pseudo_labels'].tolist()) == [0, 0, 1]


def test_dynamic_sampling_transform_records_positions(tmp_path):
    path = _segment_file(tmp_path, {'v': [
        dict(segment=[2, 3], label=0, score=1.0)]})
    load = LoadPseudoSegments(path, delta=0.0)

    def video():
        return load(dict(video_name='v', label=np.array([1., 0.]),
                         snippet_duration=1.0,
                         rgb=np.arange(10, dtype=np.float32)[:, None],
                         flow=np.zeros((10, 2), np.float32)))

    out = DynamicSegmentSampling(num_snippets=None, alpha=1.0, gamma=3,
                                 random=False)(video())
    # one 2-snippet segment at weight 1.5 -> 11 rows, features follow
    assert out['rgb'].shape == (11, 1)
    assert np.allclose(out['rgb'][:, 0], out['snippet_positions'])
    assert out['snippet_indices'].tolist() == np.floor(
        out['snippet_positions']).astype(int).tolist()
    # test-time cap: only videos longer than num_snippets are reduced
    for cap, rows in ((20, 11), (5, 5)):
        capped = DynamicSegmentSampling(num_snippets=cap, alpha=1.0, gamma=3,
                                        random=False, only_longer=True)(
                                            video())
        assert capped['rgb'].shape == (rows, 1)


# ------------------------------------------------------------------ modules
def _identity_attention(cls):
    module = cls(2, heads=1)
    for conv in (module.query, module.key, module.value, module.out):
        conv.weight.data = torch.eye(2)[:, :, None].clone()
        conv.bias.data.zero_()
    torch.nn.init.ones_(module.bn.weight)
    return module.eval()  # BN: running mean 0, var 1


def test_intra_segment_attention_by_hand():
    module = _identity_attention(IntraSegmentAttention)
    x = torch.tensor([[[1., 0., 3.], [0., 1., 3.]]])  # (B, C, T)
    member = torch.tensor([[[1.], [1.], [0.]]])  # rows 0, 1 in a segment
    out = module(x, member, torch.ones(1, 3))
    # rows 0 and 1 attend to each other with equal scores (q.k = 0 for
    # both) -> the mean of their values; row 2 attends to nothing
    bn = 1 / math.sqrt(1 + 1e-5)
    w = torch.softmax(torch.tensor([1., 0.]) / math.sqrt(2), 0)
    row0 = torch.tensor([1., 0.]) + bn * (w[0] * torch.tensor([1., 0.]) +
                                         w[1] * torch.tensor([0., 1.]))
    assert torch.allclose(out[0, :, 0], row0, atol=1e-5)
    assert torch.allclose(out[0, :, 2], x[0, :, 2])
    # zero-initialised BN: the block starts as the identity
    fresh = IntraSegmentAttention(2, heads=1).eval()
    assert torch.allclose(fresh(x, member, torch.ones(1, 3)), x)


def test_fused_masked_attention_equals_plain_softmax():
    torch.manual_seed(0)
    q, k, v = (torch.randn(2, 3, 6, 4, requires_grad=True) for _ in 'qkv')
    allowed = torch.rand(2, 1, 6, 6) > 0.6
    allowed[0, 0, 2] = False  # a row with nothing to attend to
    fused = masked_attention(q, k, v, allowed)
    plain = reference_masked_attention(q, k, v, allowed)
    assert torch.allclose(fused, plain, atol=1e-6)
    assert fused[0, :, 2].abs().max() == 0
    grads = [torch.autograd.grad(y.square().sum(), (q, k, v))
             for y in (fused, plain)]
    for a, b in zip(*grads):
        assert torch.allclose(a, b, atol=1e-5)


def test_segment_blocks_by_hand():
    member = torch.zeros(2, 8, 3, dtype=torch.bool)
    member[0, 1:3, 0] = True  # span 1-2
    member[0, 2:5, 1] = True  # span 2-4, overlaps -> one block 1-4
    member[0, [6], 2] = True  # block 6
    member[1, [0, 3], 0] = True  # not contiguous: span 0-3
    batch, start, length = segment_blocks(member)
    assert batch.tolist() == [0, 0, 1]
    assert start.tolist() == [1, 6, 0] and length.tolist() == [4, 1, 4]


def test_intra_segment_attention_blocks_equal_full_grid():
    """Per-block attention is the (T, T) masked attention, values and
    gradients: overlapping and non-contiguous segments, padding, a video
    with no segment."""
    torch.manual_seed(0)
    module = IntraSegmentAttention(8, heads=2).train()
    torch.nn.init.uniform_(module.bn.weight)
    b, t, k = 4, 30, 5
    valid = torch.ones(b, t)
    valid[1, 22:] = 0
    member = torch.zeros(b, t, k)
    for i in range(3):
        for j in range(k):
            s = int(torch.randint(0, 20, ()))
            member[i, s:s + int(torch.randint(1, 9, ())), j] = 1
    member[0, [2, 25], 4] = 1  # one segment, two far rows
    member = member * valid[..., None]  # video 3: no segment
    x = torch.randn(b, 8, t, requires_grad=True)
    fast = module(x, member, valid)
    (g_fast, ) = torch.autograd.grad((fast * fast.detach()).sum(), x)
    together = torch.einsum('bik,bjk->bij', member, member) > 0
    # the module's heads over the whole (T, T) grid, plain softmax
    full = module._residual(
        x, module._attend(x, together, reference_masked_attention), valid)
    (g_full, ) = torch.autograd.grad((full * full.detach()).sum(), x)
    assert torch.allclose(fast, full, atol=1e-5)
    assert torch.allclose(g_fast, g_full, atol=1e-5)


@pytest.mark.parametrize('attention',
                         [IntraSegmentAttention, InterSegmentAttention])
def test_segment_attention_without_segments_gives_every_parameter_a_grad(
        attention):
    # a batch in which no video has a segment: the output is the input
    # plus BN(out(0)), and every parameter still gets a gradient (zero
    # for q/k/v), so DDP can run without find_unused_parameters
    module = attention(8, heads=2).train()
    x = torch.randn(2, 8, 6)
    out = module(x, torch.zeros(2, 6, 1), torch.ones(2, 6))
    out.square().sum().backward()
    assert all(p.grad is not None for p in module.parameters())
    assert module.query.weight.grad.abs().max() == 0


def test_inter_segment_attention_by_hand():
    module = _identity_attention(InterSegmentAttention)
    x = torch.tensor([[[1., 3., 5.], [0., 2., 4.]]])
    member = torch.tensor([[[1.], [1.], [0.]]])  # one segment: rows 0, 1
    out = module(x, member, torch.ones(1, 3))
    # the only segment attends to itself: its mean (2, 1) returns to rows
    # 0 and 1; row 2 is in no segment
    bn = 1 / math.sqrt(1 + 1e-5)
    assert torch.allclose(out[0, :, 0], torch.tensor([1., 0.]) +
                          bn * torch.tensor([2., 1.]), atol=1e-5)
    assert torch.allclose(out[0, :, 2], x[0, :, 2])


def test_pseudo_instance_target_by_hand():
    model = _model(refine_step=1)
    ds = _samples([5])[0]
    ds.pseudo_segments = torch.tensor([[0.0, 1.5]])
    ds.pseudo_labels = torch.tensor([1])
    target = model.pseudo_instance_target([ds], torch.ones(1, 5))
    assert target[0].tolist() == [[0, 1, 0], [0, 1, 0], [0, 0, 1],
                                  [0, 0, 1], [0, 0, 1]]


@pytest.mark.parametrize('step', [0, 1])
def test_shapes_and_batching_does_not_change_a_video(step):
    torch.manual_seed(0)
    model = _model(refine_step=step).eval()
    short, long = torch.randn(7, 16), torch.randn(12, 16)
    samples = _samples([12, 7])
    out = model._forward([long, short], samples)
    logits, att = out['logits'], out['att_fg']
    assert logits.shape == (2, 12, 3) and att.shape == (2, 12)
    out = model._forward([short], samples[1:])
    alone, att_alone = out['logits'], out['att_fg']
    assert torch.allclose(logits[1, :7], alone[0], atol=1e-5)
    assert torch.allclose(att[1, :7], att_alone[0], atol=1e-6)
    out = model([long, short], samples, mode='predict')
    assert out[1].cas.shape == (7, 2) and out[1].video_scores.shape == (2, )


@pytest.mark.parametrize('rpn_input', ['dropped', 'embedded'])
def test_what_the_trpn_reads_at_training(rpn_input):
    """'embedded': the T-RPN never sees the snippets that ASM-Loc's snippet
    dropout zeroes; 'dropped': it reads the classifier's input."""
    torch.manual_seed(0)
    model = _model(refine_step=0, rpn_input=rpn_input, proposal_stage=dict(
        type='TemporalProposalStage', source='trpn_pl',
        rpn_head=dict(type='TRPNHead', hidden=8))).train()
    seen = []
    model.proposal_stage.rpn_head.register_forward_pre_hook(
        lambda module, args: seen.append(args[0].detach()))
    model([torch.randn(40, 16)], _samples([40], False), mode='loss')
    rows = seen[0].reshape(40, -1).abs().sum(-1)
    zero_rows = int((rows == 0).sum())
    # dropout 0.7 of whole snippets zeroes about 28 of 40 rows
    assert (zero_rows > 15) == (rpn_input == 'dropped')
    with pytest.raises(ValueError, match='model.rpn_input'):
        _model(rpn_input='raw')
    with pytest.raises(ValueError, match='model.masked_input'):
        _model(masked_input='raw')


@pytest.mark.parametrize('masked_input', ['dropped', 'embedded'])
def test_what_the_masked_branch_classifies(masked_input):
    torch.manual_seed(0)
    model = _model(refine_step=0, masked_input=masked_input,
                   proposal_stage=dict(type='TemporalProposalStage',
                                       source='gt')).train()
    model.dropout.p = 0.0  # only the snippet dropout below, checked
    seen = []
    model.snippet_cls.register_forward_pre_hook(
        lambda module, args: seen.append(args[0].detach()))
    model.extract_feat = _zero_rows_1_2(model)
    model([torch.randn(40, 16)], _samples([40], False), mode='loss')
    # calls: the detector's classifier, then the masked branch on GT rows
    masked = seen[-1].reshape(40, -1)[1:3]  # GT [1, 3) s -> rows 1, 2
    assert (masked.abs().sum(-1) > 0).all() == (masked_input == 'embedded')


def _zero_rows_1_2(model):
    """ASM-Loc's snippet dropout, forced to drop rows 1 and 2 (the
    classifier's own input is left as it was)."""
    network = model.extract_feat

    def run(x, valid, data_samples=None):
        out = network(x, valid, data_samples)
        keep = torch.ones_like(out['dropped'][..., :1])
        keep[:, 1:3] = 0
        out['dropped'] = out['embedded'] * keep
        out['feat'] = out[model.masked_input]
        return out
    return run


def test_losses_of_each_step_and_with_proposals():
    torch.manual_seed(0)
    inputs = [torch.randn(10, 16), torch.randn(8, 16)]
    base = _model(refine_step=0)(inputs, _samples([10, 8], False),
                                 mode='loss')
    assert {'loss_fg', 'loss_bg', 'loss_abg'} <= set(base)
    assert 'loss_pseudo_instance' not in base
    model = _model(refine_step=2, proposal_stage=dict(
        type='TemporalProposalStage', source='trpn_pl',
        rpn_head=dict(type='TRPNHead', hidden=8)))
    losses = model(inputs, _samples([10, 8]), mode='loss')
    assert {'loss_pseudo_instance', 'loss_mil_proposal', 'loss_kl',
            'loss_ml'} <= set(losses)
    # the stage's diagnostics, as DTRP-Loc logs them
    assert 0 <= losses['proposal_ratio'] <= 1
    assert 0 <= losses['fss_trpn_mean'] <= 1
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    # snippets in no segment attend to nothing: no NaN may reach a weight
    for name, p in model.named_parameters():
        assert p.grad is None or torch.isfinite(p.grad).all(), name
    assert model.uncertainty_branch.weight.grad is not None


def test_refinement_without_previous_segments_names_the_keys(tmp_path):
    model = _model(refine_step=1)
    with pytest.raises(KeyError, match='LoadPseudoSegments'):
        model([torch.randn(6, 16)], _samples([6], False), mode='loss')
    with pytest.raises(ValueError, match='segment_file'):
        LoadPseudoSegments(segment_file=None)
    with pytest.raises(FileNotFoundError, match='previous refinement step'):
        LoadPseudoSegments(segment_file=str(tmp_path / 'missing.json'))
    with pytest.raises(ValueError, match='model.refine_step'):
        _model(refine_step=-1)
    with pytest.raises(ValueError, match='proposal_stage.source'):
        _model(proposal_stage=dict(type='TemporalProposalStage',
                                   source='oracle'))


# ------------------------------------------------------------------ configs
@pytest.fixture(scope='module')
def step0_segments(smoke, smoke_data, tmp_path_factory):
    """Step 0 trains and its hook writes the segments of all videos."""
    work = tmp_path_factory.mktemp('asm_step0')
    smoke('asm_loc/asm_loc_thumos_step0.py', smoke_data, work)
    path = work / 'pseudo_segments.json'
    with open(path) as f:
        written = json.load(f)
    assert len(written['results']) == 6 + 3  # train + test videos
    return str(path)


@pytest.mark.parametrize('config', [
    'asm_loc/asm_loc_thumos_step1.py', 'asm_loc/asm_loc_thumos_step2.py',
    'asm_loc/asm_loc_thumos.py', 'asm_loc/asm_loc_anet_step0.py',
    'asm_loc/asm_loc_anet.py', 'ablations/t4_asmloc_trpn.py', 'ablations/t4_asmloc_trpn-pl.py',
    'ablations/t4_asmloc_gt.py', 'ablations/t4_asmloc_trpn-pl_fgnorm.py',
    'ablations/t4_asmloc_trpn-pl_embedded.py',
    'ablations/t4_asmloc_trpn-pl_embedded-both.py',
    'ablations/t4_asmloc_trpn-pl_pooled.py'
])
def test_config_trains_and_tests_on_tiny_data(config, smoke, smoke_data,
                                              step0_segments, tmp_path):
    """Every step from the previous step's file (here step 0's); a step
    that writes segments writes them for the next."""
    smoke(config, smoke_data, tmp_path, step0_segments)
    writes = not config.endswith(('asm_loc_thumos.py', 'asm_loc_anet.py')) \
        and 'ablations' not in config
    assert (tmp_path / 'pseudo_segments.json').exists() == writes


@pytest.mark.parametrize('mask_features', [True, False])
def test_masked_branch_gradient_into_snippets_out_of_the_mask(
        mask_features):
    """The mask's gradient at a snippet out of it is ``sum_k dL/dv_k
    (p_k - v_k) / |m|`` with ``v`` the pooled video scores and ``p`` the
    classifier on the zeroed snippet (``mask_features``, the same for every
    snippet out of the mask) or on the snippet itself; the loss value is
    the same."""
    torch.manual_seed(0)
    model = _model(refine_step=0, proposal_stage=dict(
        type='TemporalProposalStage', source='gt',
        mask_features=mask_features)).train()
    model.dropout.p = 0.0  # deterministic classifier and snippet dropout
    mask = torch.tensor([[0., 1., 1., 0., 0., 0.]], requires_grad=True)
    model.proposal_stage.train_proposals = lambda *args: (mask, None)
    x = torch.randn(6, 16)
    losses = model([x], _samples([6], False), mode='loss')
    grad, = torch.autograd.grad(losses['loss_mil_proposal'], mask)

    out = model.extract_feat(x[None], torch.ones(1, 6))
    probs = model.classify(out['feat'], None)[0]  # (6, C + 1)
    video = probs[1:3].mean(0).detach().requires_grad_()
    loss = model.loss_proposal_mil(video[None], torch.tensor([[1., 0., 0.]]))
    dloss, = torch.autograd.grad(loss, video)
    zeroed = model.classify(torch.zeros_like(out['feat'][:, :1]), None)[0, 0]
    for t in (0, 3, 4, 5):
        p = zeroed if mask_features else probs[t]
        want = (dloss * (p - video)).sum() / 2
        assert torch.allclose(grad[0, t], want, atol=1e-6)
    assert torch.allclose(losses['loss_mil_proposal'], loss, atol=1e-6)
    # the paper's form cannot tell the snippets out of the mask apart
    assert (grad[0, [0, 3, 4, 5]].std() < 1e-7) == mask_features
