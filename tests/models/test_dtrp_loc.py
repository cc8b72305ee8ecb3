import copy
import itertools

import numpy as np
import pytest
import torch
from mmengine.structures import BaseDataElement

from mmtrpn.models.localizers import DTRPLoc
from mmtrpn.models.utils import pad_inputs
from mmtrpn.registry import MODELS, TASK_UTILS
from mmtrpn.structures.segments import segments_to_snippet_mask
from mmtrpn.utils.setup_env import register_all_modules

register_all_modules()


@pytest.fixture(autouse=True, scope='module')
def _one_thread():
    # tiny tensors: thread hand-offs cost far more than they save, and on a
    # busy 2-core runner they dominate the test time
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)

NUM_CLASSES = 3
SNIPPET = 0.64


class _StubPostProcessor:
    """Records its arguments and returns one fixed segment."""

    def __init__(self):
        self.calls = []

    def __call__(self, cas, video_scores, fg_curve, snippet_duration,
                 duration=None):
        self.calls.append(
            dict(cas=cas, video_scores=video_scores, fg_curve=fg_curve,
                 snippet_duration=snippet_duration, duration=duration))
        return dict(
            segments=np.array([[0.0, snippet_duration]], np.float32),
            labels=np.array([int(video_scores.argmax())], np.int64),
            scores=np.array([float(video_scores.max())], np.float32))


if 'StubPostProcessorForModelTests' not in TASK_UTILS.module_dict:
    TASK_UTILS.register_module(
        name='StubPostProcessorForModelTests', module=_StubPostProcessor)

BASE = dict(
    type='DTRPLoc',
    num_classes=NUM_CLASSES,
    feature_dims=(8, 6),
    neck=dict(type='DMFNeck', temporal_hidden=16),
    proposal_stage=dict(type='TemporalProposalStage', source='trpn_pl',
                        rpn_head=dict(type='TRPNHead', hidden=16)),
    cls_head=dict(type='MaskedClassifierHead', hidden=12),
    test_cfg=dict(
        postprocessor=dict(type='StubPostProcessorForModelTests'),
        fg_source='proposal',
        topk_ratio=8))


def build(source=None, stage=None, **overrides):
    """The test model; ``source``/``stage`` update its proposal stage."""
    cfg = copy.deepcopy(BASE)
    cfg['proposal_stage'].update(stage or {})
    if source is not None:
        cfg['proposal_stage']['source'] = source
    cfg.update(overrides)
    return MODELS.build(cfg)


def sample(length, label=(1., 0., 0.), segments=((1.0, 3.0), ),
           indices=None):
    ds = BaseDataElement(
        metainfo=dict(
            video_name=f'v{length}', duration=length * SNIPPET,
            snippet_duration=SNIPPET, num_snippets=length,
            feature_dims=(8, 6)))
    ds.gt_label = torch.tensor(label)
    ds.gt_segments = torch.tensor(segments, dtype=torch.float32)
    ds.gt_labels = torch.zeros(len(segments), dtype=torch.int64)
    if indices is not None:
        ds.snippet_indices = torch.as_tensor(indices)
    return ds


def batch(lengths=(9, 16)):
    torch.manual_seed(0)
    inputs = [torch.randn(t, 14) for t in lengths]
    samples = [
        sample(t, label=(1., 0., 0.) if i % 2 == 0 else (0., 1., 1.))
        for i, t in enumerate(lengths)
    ]
    return inputs, samples


EXPECTED_KEYS = {
    'trpn_pl': {'loss_mil_proposal', 'loss_kl', 'loss_ml'},
    'trpn': {'loss_mil_proposal'},
    'gt': {'loss_mil_proposal'},
    'gt_train': {'loss_mil_proposal'},
    'none': set(),
}
SOURCES = ['trpn_pl', 'trpn', 'none', 'gt', 'gt_train']


@pytest.mark.parametrize(
    'with_neck,source,with_acol,pl_source',
    [c for c in itertools.product([True, False],
                                  SOURCES,
                                  [True, False], ['full', 'masked'])
     if c[1] == 'trpn_pl' or c[3] == 'full'])
def test_every_switch_combination(with_neck, source, with_acol, pl_source):
    model = build(
        neck=BASE['neck'] if with_neck else None,
        source=source,
        with_acol=with_acol,
        pseudo_label_source=pl_source)
    assert model.with_neck == with_neck
    assert model.with_trpn == (source in ('trpn', 'trpn_pl'))
    inputs, samples = batch()
    data = model.data_preprocessor(
        dict(inputs=inputs, data_samples=samples), True)
    model.train()
    losses = model(**data, mode='loss')
    loss_keys = {k for k in losses if 'loss' in k}
    want = set(EXPECTED_KEYS[source])
    if with_acol or source == 'none':
        want.add('loss_mil_full')
    assert loss_keys == want
    if source != 'none':
        assert 0 <= losses['proposal_ratio'] <= 1
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total)
    total.backward()

    model.eval()
    preds = model(**data, mode='predict')
    assert len(preds) == 2
    for pred, t, ds in zip(preds, (9, 16), samples):
        assert pred.cas.shape == (t, NUM_CLASSES)
        assert pred.fg_curve.shape == (t, )
        assert pred.proposal_mask.shape == (t, )
        assert pred.video_scores.shape == (NUM_CLASSES, )
        assert pred.pred_segments.shape == (1, 2)
        assert pred.pred_segments.dtype == torch.float32
        assert pred.pred_labels.dtype == torch.int64
        assert pred.pred_scores.shape == (1, )
        # input metainfo and gt fields are kept
        assert pred.video_name == ds.video_name
        assert torch.equal(pred.gt_segments, ds.gt_segments)


def tcas_full(model, inputs):
    """T-CAS of the full sequence, from the tensor-mode outputs."""
    out = model._forward(inputs)
    return model.cls_head(out['feat'], out['valid'])


def test_baseline_without_proposals():
    model = build(proposal_stage=dict(type='TemporalProposalStage',
                                      source='none'))
    assert model.proposal_source == 'none' and not model.with_plg
    assert model.rpn_head is None
    inputs, samples = batch()
    losses = model(inputs, samples, mode='loss')
    assert {k for k in losses if 'loss' in k} == {'loss_mil_full'}
    model.eval()
    pred = model(inputs, samples, mode='predict')[0]
    # no T-RPN: foreground is 1 - background and every snippet is proposed
    tcas = tcas_full(model, inputs)
    assert torch.allclose(pred.fg_curve, 1 - tcas[0, :9, -1])
    assert torch.all(pred.proposal_mask == 1)


def test_config_errors_name_the_key():
    with pytest.raises(ValueError, match='proposal_stage.source'):
        build(source='rpn')
    with pytest.raises(ValueError, match='rpn_head'):
        build(stage=dict(rpn_head=None))
    with pytest.raises(KeyError, match='loss_weights'):
        build(stage=dict(loss_weights=dict(lk=0.8)))  # a typo must not pass
    with pytest.raises(KeyError, match='model.loss_weights'):
        build(loss_weights=dict(kl=0.8))  # kl belongs to the stage
    with pytest.raises(KeyError, match='model.test_cfg'):
        build(test_cfg=dict(fg_sorce='detector'))
    with pytest.raises(ValueError, match="'trpn' is now 'proposal'"):
        build(test_cfg=dict(fg_source='trpn'))
    with pytest.raises(TypeError, match="source='none'"):
        build(proposal_stage=None)
    with pytest.raises(ValueError, match='cas_source'):
        build(test_cfg=dict(cas_source='proposal'))
    with pytest.raises(ValueError, match='pseudo_label_source'):
        build(pseudo_label_source='both')
    with pytest.raises(ValueError, match='empty_mask'):
        build(stage=dict(empty_mask='all'))


def test_partial_test_cfg_keeps_the_postprocessor():
    # a test_cfg with one key must not silently drop the default
    # post-processor (the defaults are stated once and merged)
    model = MODELS.build(dict(type='DTRPLoc', num_classes=3,
                              feature_dims=(4, 4), neck=None,
                              test_cfg=dict(fg_source='detector')))
    assert type(model.postprocessor).__name__ == 'WSTALPostProcessor'
    assert model.test_cfg['cas_source'] == 'full'


def test_loss_weights_scale_terms():
    inputs, samples = batch()
    torch.manual_seed(3)
    base = build().train()
    torch.manual_seed(3)
    ref = base(inputs, samples, mode='loss')
    scaled = build(stage=dict(loss_weights=dict(kl=1.6, ml=0.5)))
    scaled.load_state_dict(base.state_dict())
    torch.manual_seed(3)
    out = scaled.train()(inputs, samples, mode='loss')
    assert torch.allclose(out['loss_kl'], 2 * ref['loss_kl'])
    assert torch.allclose(out['loss_ml'], 0.5 * ref['loss_ml'])
    assert torch.allclose(out['loss_mil_full'], ref['loss_mil_full'])


def test_proposal_loss_trains_trpn_through_straight_through_mask():
    model = build(source='trpn', with_acol=False).train()
    inputs, samples = batch()
    losses = model(inputs, samples, mode='loss')
    losses['loss_mil_proposal'].backward()
    grads = [p.grad for p in model.rpn_head.parameters()]
    assert all(g is not None for g in grads)
    assert sum(g.abs().sum() for g in grads) > 0


@pytest.mark.parametrize('pl_source', ['full', 'masked'])
def test_kl_loss_does_not_reach_classifier(pl_source):
    model = build(pseudo_label_source=pl_source).train()
    inputs, samples = batch()
    losses = model(inputs, samples, mode='loss')
    losses['loss_kl'].backward()
    for p in model.cls_head.parameters():
        assert p.grad is None or torch.all(p.grad == 0)
    rpn_grad = sum(p.grad.abs().sum() for p in model.rpn_head.parameters()
                   if p.grad is not None)
    assert rpn_grad > 0


def test_mutual_loss_reaches_both_stages():
    model = build().train()
    inputs, samples = batch()
    model(inputs, samples, mode='loss')['loss_ml'].backward()
    for head in (model.rpn_head, model.cls_head):
        assert sum(p.grad.abs().sum() for p in head.parameters()
                   if p.grad is not None) > 0


def test_batching_does_not_change_a_video():
    model = build().eval()
    torch.manual_seed(1)
    short, long = torch.randn(7, 14), torch.randn(20, 14)
    feat_a = model([short])['feat']
    out = model([short, long])
    feat_b, valid = out['feat'], out['valid']
    assert valid[0].sum() == 7 and valid[1].sum() == 20
    assert torch.allclose(feat_a[0], feat_b[0, :7], atol=1e-5)
    assert torch.allclose(tcas_full(model, [short])[0],
                          tcas_full(model, [short, long])[0, :7], atol=1e-5)
    pa = model.predict([short], [sample(7)])[0]
    pb = model.predict([short, long], [sample(7), sample(20)])[0]
    for key in ('cas', 'fg_curve', 'video_scores', 'proposal_mask'):
        assert torch.allclose(pa.get(key), pb.get(key), atol=1e-5), key


def test_stacked_tensor_input_and_batch_one_odd_length():
    model = build().eval()
    x = torch.randn(1, 5, 14)
    out = model(x)
    assert out['feat'].shape == (1, 5, 14)
    assert tcas_full(model, x).shape == (1, 5, NUM_CLASSES + 1)
    assert torch.all(out['valid'] == 1)
    model.train()
    losses = model(x, [sample(5)], mode='loss')
    assert torch.isfinite(sum(v for k, v in losses.items() if 'loss' in k))


def test_predict_calls_postprocessor_per_video():
    model = build().eval()
    inputs, samples = batch((9, 16))
    preds = model.predict(inputs, samples)
    calls = model.postprocessor.calls
    assert len(calls) == 2
    assert calls[1]['cas'].shape == (16, NUM_CLASSES)
    assert calls[1]['fg_curve'].shape == (16, )
    assert calls[1]['snippet_duration'] == pytest.approx(SNIPPET)
    assert calls[1]['duration'] == pytest.approx(16 * SNIPPET)
    # video scores: top-k (k = max(1, 16 // 8) = 2) mean of the class columns
    want = preds[1].cas.topk(2, dim=0).values.mean(0)
    assert torch.allclose(preds[1].video_scores, want, atol=1e-6)
    # T-RPN foreground at test time; the proposal mask is FSS > 0.5
    assert torch.equal(preds[1].proposal_mask,
                       (preds[1].fg_curve > 0.5).float())


def test_fg_source_detector():
    model = build(test_cfg=dict(postprocessor=None,
                                fg_source='detector')).eval()
    inputs, samples = batch()
    tcas = tcas_full(model, inputs)
    pred = model.predict(inputs, samples)[0]
    assert torch.allclose(pred.fg_curve, 1 - tcas[0, :9, -1])
    assert pred.pred_segments.shape == (0, 2)


def test_real_postprocessor_builds():
    if 'WSTALPostProcessor' not in TASK_UTILS.module_dict:
        pytest.skip('post-processor not available')
    model = build(test_cfg=dict(
        postprocessor=dict(type='WSTALPostProcessor'))).eval()
    inputs, samples = batch()
    pred = model.predict(inputs, samples)[0]
    assert pred.pred_segments.ndim == 2 and pred.pred_segments.shape[1] == 2
    assert len(pred.pred_labels) == len(pred.pred_scores)


def test_gt_mask_maps_seconds_to_snippets():
    # snippets of 0.5 s; segment [1.2, 2.0] overlaps [1.0, 1.5) and
    # [1.5, 2.0) (snippets 2 and 3) but not [2.0, 2.5) or [0.5, 1.0)
    mask = segments_to_snippet_mask(torch.tensor([[1.2, 2.0]]), 0.5, 6)
    assert mask.tolist() == [0., 0., 1., 1., 0., 0.]
    # sampled inputs: rows are original snippets 0, 2, 4, 6 -> only row 1
    mask = segments_to_snippet_mask(
        torch.tensor([[1.2, 2.0]]), 0.5, 4, snippet_indices=[0, 2, 4, 6])
    assert mask.tolist() == [0., 1., 0., 0.]
    assert segments_to_snippet_mask(torch.zeros(0, 2), 0.5, 3).tolist() == [
        0., 0., 0.
    ]


def test_gt_mask_inside_the_model():
    model = build(source='gt')
    # segment [1.0, 3.0] s with 0.64 s snippets: [0.64, 1.28) .. [2.56, 3.2)
    # are snippets 1..4
    full = sample(8)
    sampled = sample(4, indices=[0, 2, 4, 6])
    valid = torch.tensor([[1.] * 8, [1.] * 4 + [0.] * 4])
    mask = model.gt_proposal_mask([full, sampled], valid)
    assert mask[0].tolist() == [0., 1., 1., 1., 1., 0., 0., 0.]
    assert mask[1].tolist() == [0., 1., 1., 0., 0., 0., 0., 0.]


def test_default_config_builds():
    model = MODELS.build(dict(type='DTRPLoc', num_classes=20))
    assert isinstance(model, DTRPLoc)
    assert model.neck.rgb_channels == 1024
    assert model.rpn_head.conv1.in_channels == 2048
    assert model.cls_head.f.in_channels == 2048
    assert model.proposal_stage.loss_weights['kl'] == pytest.approx(0.8)
    assert model.proposal_stage.loss_mutual.alpha == (0.9, 0.1)
    assert model.proposal_stage.loss_pseudo_label.form == 'bernoulli'
    # the paper's sampler (Eq. 3) is the default
    assert model.rpn_head.train_mask_bias == 0


def test_pl_losses_reach_the_dmf_neck():
    # decision (docs/method.md): PLG trains the T-RPN *and* the shared DMF
    # neck under it, as end-to-end training would; never the classifier
    model = build().train()
    inputs, samples = batch()
    model(inputs, samples, mode='loss')['loss_kl'].backward()
    assert sum(p.grad.abs().sum() for p in model.neck.parameters()
               if p.grad is not None) > 0
    for p in model.cls_head.parameters():
        assert p.grad is None or torch.all(p.grad == 0)


def test_gt_oracle_uses_ground_truth_at_test():
    # 'gt': proposals and foreground from the ground truth at test time
    model = build(source='gt').eval()
    inputs, samples = batch((8, 12))
    preds = model.predict(inputs, samples)
    want = segments_to_snippet_mask(samples[1].gt_segments, SNIPPET, 12)
    assert torch.equal(preds[1].proposal_mask, want)
    assert torch.equal(preds[1].fg_curve, want)
    # 'gt_train': no proposals at test; the classifier's foreground
    model = build(source='gt_train').eval()
    preds = model.predict(inputs, samples)
    tcas = tcas_full(model, inputs)
    assert torch.all(preds[1].proposal_mask == 1)
    assert torch.allclose(preds[1].fg_curve, 1 - tcas[1, :12, -1])


def test_two_stage_inference_classifies_the_proposals():
    model = build(test_cfg=dict(
        postprocessor=dict(type='StubPostProcessorForModelTests'),
        cas_source='masked')).eval()
    inputs, samples = batch((9, 16))
    pred = model.predict(inputs, samples)[1]
    x, valid = pad_inputs(inputs)
    feat = model.extract_feat(x, valid)['feat']
    mask = model.rpn_head.predict_mask(model.rpn_head(feat, valid), valid)
    want = model.cls_head(feat * mask.unsqueeze(-1), valid)[1, :16, :3]
    want = want * mask[1, :16, None]
    assert torch.allclose(pred.cas, want, atol=1e-6)
    # zero outside the proposals; video scores still from the full T-CAS
    assert torch.all(pred.cas[mask[1, :16] == 0] == 0)
    full = model.cls_head(feat, valid)[1, :16, :3]
    assert torch.allclose(pred.video_scores,
                          full.topk(2, dim=0).values.mean(0), atol=1e-6)


@pytest.mark.parametrize('length', [60, 320])
def test_empty_training_masks(length):
    # FSS_trpn ~ 0 everywhere: the sampler draws empty masks
    model = build(source='trpn', with_acol=False).train()
    with torch.no_grad():
        model.rpn_head.conv_out.bias.fill_(-30.)
    inputs = [torch.randn(length, 14), torch.randn(length, 14)]
    samples = [sample(length), sample(length, label=(0., 1., 0.))]
    losses = model(inputs, samples, mode='loss')
    # 'skip': such videos do not feed L_mil1 (no whole-video fallback)
    assert losses['proposal_empty'] == 1
    assert losses['loss_mil_proposal'].item() == 0
    # 'top1': each takes its highest-scoring snippet
    model = build(source='trpn', with_acol=False,
                  stage=dict(empty_mask='top1')).train()
    with torch.no_grad():
        model.rpn_head.conv_out.bias.fill_(-30.)
    losses = model(inputs, samples, mode='loss')
    assert losses['proposal_empty'] == 0
    assert losses['proposal_ratio'].item() == pytest.approx(1 / length)
    assert losses['loss_mil_proposal'].item() > 0


def test_gt_diagnostics_are_logged_not_summed():
    model = build(log_gt_diagnostics=True).train()
    inputs, samples = batch()
    losses = model(inputs, samples, mode='loss')
    for key in ('gt_ratio', 'prop_precision', 'prop_recall', 'bg_in_gt',
                'bg_out_gt', 'pl_in_gt', 'pl_out_gt', 'fss_in_gt'):
        assert key in losses and 'loss' not in key
        assert 0 <= float(losses[key]) <= 1
