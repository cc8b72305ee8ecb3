"""TemporalProposalStage.classifier_grad: what the masked branch's loss
(``L_mil1``) teaches the classifier, the T-RPN and the features."""
import copy
import math

import pytest
import torch
import torch.nn as nn
from mmengine.structures import BaseDataElement

from mmtrpn.registry import MODELS
from mmtrpn.utils import register_all_modules

register_all_modules()

STAGE = dict(type='TemporalProposalStage', source='trpn_pl',
             rpn_head=dict(type='TRPNHead', hidden=8))
# every detector: its config, the classifier the masked branch runs, and a
# module upstream of the masked features (the neck / embedding)
DETECTORS = {
    'dtrploc': (dict(type='DTRPLoc', num_classes=3, feature_dims=(8, 6),
                     neck=dict(type='DMFNeck', temporal_hidden=8),
                     cls_head=dict(type='MaskedClassifierHead', hidden=12),
                     test_cfg=dict(postprocessor=None)),
                'cls_head', 'neck'),
    'co2net': (dict(type='CO2Net', num_classes=3, feature_dims=(8, 6),
                    neck=dict(type='CO2Neck', attention_hidden=8),
                    test_cfg=dict(postprocessor=None)),
               'cls_head', 'neck'),
    'asmloc': (dict(type='ASMLoc', num_classes=3, feature_dims=(8, 8),
                    test_cfg=dict(postprocessor=None)),
               'snippet_cls', 'embed'),
}


def _stage(**kwargs):
    return MODELS.build(dict(STAGE, in_channels=4, **kwargs))


def test_gate_of_each_rule_and_bad_values():
    assert _stage().classifier_gate() is None  # the paper: untouched
    assert _stage(classifier_grad='none').classifier_gate() == 0
    assert _stage(classifier_grad='scaled',
                  classifier_grad_scale=0.3).classifier_gate() == 0.3
    with pytest.raises(ValueError, match='proposal_stage.classifier_grad'):
        _stage(classifier_grad='half')
    with pytest.raises(ValueError, match='classifier_grad_scale'):
        _stage(classifier_grad='scaled', classifier_grad_scale=1.5)
    with pytest.raises(ValueError, match='classifier_grad_ramp_iters'):
        _stage(classifier_grad='ramp', classifier_grad_ramp_iters=0)


def test_ramp_rises_with_training_steps_and_is_checkpointed():
    stage = _stage(classifier_grad='ramp', classifier_grad_ramp_iters=4)
    head = nn.Linear(2, 2)
    x = torch.ones(1, 2)
    gates = []
    for _ in range(6):
        gates.append(stage.classifier_gate())
        stage.classify_masked(head, x)
    assert gates == [0., 0.25, 0.5, 0.75, 1., 1.]
    assert float(stage.state_dict()['masked_steps']) == 6
    stage.eval()  # inference does not advance the ramp
    stage.classify_masked(head, x)
    assert float(stage.masked_steps) == 6
    # the paper's stage keeps its checkpoint keys
    assert 'masked_steps' not in _stage().state_dict()


@pytest.mark.parametrize('rule,gate', [('full', 1.), ('none', 0.),
                                       ('scaled', 0.25)])
def test_linear_classifier_by_hand(rule, gate):
    """y = w x with w = 3, x = 2: dL/dx = 3 always, dL/dw = g * 2."""
    head = nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        head.weight.fill_(3.)
    x = torch.tensor([[2.]], requires_grad=True)
    stage = _stage(classifier_grad=rule, classifier_grad_scale=0.25)
    y = stage.classify_masked(head, x)
    assert y.item() == 6.
    y.sum().backward()
    assert x.grad.item() == 3.
    grad = head.weight.grad
    assert (0. if grad is None else grad.item()) == pytest.approx(2 * gate)


def test_soft_gate_keeps_the_forward_value_and_dropout():
    """Same dropout draw in both passes: the output equals the plain call
    under the same seed, bit for bit, and so does the random state after."""
    head = nn.Sequential(nn.Linear(5, 7), nn.Dropout(0.5), nn.Linear(7, 3))
    x = torch.randn(4, 5)
    torch.manual_seed(1)
    plain = head(x)
    after_plain = torch.rand(1)
    stage = _stage(classifier_grad='scaled', classifier_grad_scale=0.4)
    torch.manual_seed(1)
    gated = stage.classify_masked(head, x)
    assert torch.equal(gated, plain)
    assert torch.equal(torch.rand(1), after_plain)


def _samples(lengths):
    out = []
    for i, length in enumerate(lengths):
        ds = BaseDataElement(metainfo=dict(
            video_name=f'v{i}', snippet_duration=1.0,
            duration=float(length)))
        ds.gt_label = torch.tensor([1., 0., 0.] if i % 2 == 0 else
                                   [0., 1., 1.])
        ds.gt_segments = torch.tensor([[1.0, 4.0]])
        out.append(ds)
    return out


def _no_dropout(name, cfg):
    """The detector's config with its classifier's dropout off, so that two
    classifier calls on the same input give the same value."""
    cfg = copy.deepcopy(cfg)
    if name == 'asmloc':
        cfg['dropout'] = 0.
    else:
        cfg['cls_head'] = dict(cfg.get('cls_head',
                                       dict(type='CO2ClassifierHead')),
                               dropout=0.)
    return cfg


def _mil1_grads_stage(name, dropout=True, **stage):
    """``L_mil1`` and its parameter gradients under a stage config."""
    cfg, _, _ = DETECTORS[name]
    cfg = copy.deepcopy(cfg) if dropout else _no_dropout(name, cfg)
    cfg['proposal_stage'] = dict(STAGE, **stage)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    width = sum(cfg['feature_dims'])
    inputs = [torch.randn(12, width), torch.randn(9, width)]
    torch.manual_seed(3)  # the same dropout and Gumbel draws
    losses = model(inputs, _samples([12, 9]), mode='loss')
    losses['loss_mil_proposal'].backward()
    grads = {n: None if p.grad is None else p.grad.clone()
             for n, p in model.named_parameters()}
    return losses['loss_mil_proposal'].detach(), grads


def _mil1_grads(name, rule, scale=0.5):
    """``L_mil1`` and the parameter gradients of ``L_mil1`` alone under a
    ``classifier_grad`` rule."""
    return _mil1_grads_stage(name, classifier_grad=rule,
                             classifier_grad_scale=scale)


def _has_grad(grads, prefix):
    return any(g is not None and g.abs().sum() > 0
               for n, g in grads.items() if n.startswith(prefix + '.'))


@pytest.mark.parametrize('name', list(DETECTORS))
def test_decoupled_mil1_trains_trpn_and_features_not_the_classifier(name):
    _, head, upstream = DETECTORS[name]
    loss_full, full = _mil1_grads(name, 'full')
    loss_none, none = _mil1_grads(name, 'none')
    assert torch.equal(loss_none, loss_full)  # forward unchanged
    assert _has_grad(full, head)
    assert not _has_grad(none, head)
    for grads in (full, none):
        assert _has_grad(grads, 'proposal_stage.rpn_head')
        assert _has_grad(grads, upstream)
    # everything but the classifier gets exactly the paper's gradient
    for n, g in none.items():
        if not n.startswith(head + '.') and g is not None:
            assert torch.allclose(g, full[n], atol=1e-7), n


@pytest.mark.parametrize('name', list(DETECTORS))
def test_scaled_gate_scales_only_the_classifier(name):
    _, head, _ = DETECTORS[name]
    loss_full, full = _mil1_grads(name, 'full')
    loss_half, half = _mil1_grads(name, 'scaled', scale=0.5)
    assert torch.equal(loss_half, loss_full)
    for n, g in half.items():
        if g is None:
            continue
        want = full[n] * (0.5 if n.startswith(head + '.') else 1.)
        assert torch.allclose(g, want, atol=1e-6), n


def test_full_is_the_unmodified_computation():
    """'full' gives DTRP-Loc's L_mil1 and gradients exactly as the plain
    classifier call on the masked features (the code before the switch)."""
    from mmtrpn.models.utils import call_module
    loss_switch, grads_switch = _mil1_grads('dtrploc', 'full')
    cfg = copy.deepcopy(DETECTORS['dtrploc'][0])
    cfg['proposal_stage'] = dict(STAGE)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.proposal_stage.classify_masked = call_module  # no gate at all
    width = sum(cfg['feature_dims'])
    inputs = [torch.randn(12, width), torch.randn(9, width)]
    torch.manual_seed(3)
    loss = model(inputs, _samples([12, 9]), mode='loss')['loss_mil_proposal']
    loss.backward()
    assert torch.equal(loss.detach(), loss_switch)
    for n, p in model.named_parameters():
        if p.grad is None:
            assert grads_switch[n] is None, n
        else:
            assert torch.equal(p.grad, grads_switch[n]), n


def test_coverage_gate_per_video_by_hand():
    """Masks covering 5 and 7 of 10 snippets, gate ramp (0.6, 0.8): gates
    0 and 0.5; y = w x summed, w = 3: dL/dw = 0 * 20 + 0.5 * 10 = 5."""
    stage = _stage(source='gt', classifier_grad='coverage',
                   classifier_grad_coverage=(0.6, 0.8))
    samples = []
    for end in (5.0, 7.0):
        ds = BaseDataElement(metainfo=dict(snippet_duration=1.0))
        ds.gt_segments = torch.tensor([[0.0, end]])
        samples.append(ds)
    valid = torch.ones(2, 10)
    mask, _ = stage.train_proposals(None, valid, samples)
    assert stage.classifier_gate().tolist() == pytest.approx([0.0, 0.5])
    head = nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        head.weight.fill_(3.)
    x = torch.stack([torch.full((10, 1), 2.), torch.ones(10, 1)])
    x.requires_grad_(True)
    y = stage.classify_masked(head, x)
    assert torch.equal(y, 3 * x.detach())
    y.sum().backward()
    assert head.weight.grad.item() == pytest.approx(5.0)
    assert torch.equal(x.grad, torch.full_like(x, 3.))
    with pytest.raises(ValueError, match='classifier_grad_coverage'):
        _stage(classifier_grad='coverage', classifier_grad_coverage=(.8, .6))


def test_mean_gate_is_logged_not_summed():
    cfg = copy.deepcopy(DETECTORS['dtrploc'][0])
    cfg['proposal_stage'] = dict(STAGE, classifier_grad='scaled',
                                 classifier_grad_scale=0.25)
    model = MODELS.build(cfg)
    losses = model([torch.randn(12, 14), torch.randn(9, 14)],
                   _samples([12, 9]), mode='loss')
    assert losses['classifier_gate'].item() == 0.25
    cfg['proposal_stage'] = dict(STAGE)  # the paper logs no gate
    losses = MODELS.build(cfg)([torch.randn(12, 14)], _samples([12]),
                               mode='loss')
    assert 'classifier_gate' not in losses


# ---------------------------------------- classifier_topk_ratio (issue 17.4)
def test_classifier_focus_by_hand():
    """The top rho of each video's valid FSS_trpn, inside the mask."""
    stage = _stage(classifier_topk_ratio=0.4)
    fss = torch.tensor([[0.9, 0.8, 0.1, 0.7, 0.2, 0.3],
                        [0.5, 0.6, 0.4, 0.9, 0.0, 0.0]])
    valid = torch.tensor([[1., 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0]])
    mask = torch.tensor([[1., 0, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0]])
    # video 0: k = floor(0.4 * 6) = 2 -> snippets 0, 1; snippet 1 is not in
    # the mask; video 1: k = floor(0.4 * 4) = 1 -> snippet 3
    focus = stage.classifier_focus(mask, fss, valid)
    assert focus.tolist() == [[1, 0, 0, 0, 0, 0], [0, 0, 0, 1, 0, 0]]
    assert stage.gate_diagnostics()['classifier_focus_ratio'].item() == \
        pytest.approx(2 / 10)


@pytest.mark.parametrize('rule,gate', [('full', 1.), ('scaled', 0.25)])
def test_focus_call_trains_only_the_parameters_by_hand(rule, gate):
    """y = w x, w = 3, x = 2: the masked call gives the inputs dL/dx = 3
    and the parameters nothing; the focus call gives the parameters
    g * 2 and the inputs nothing."""
    stage = _stage(classifier_grad=rule, classifier_grad_scale=0.25,
                   classifier_topk_ratio=0.5)
    head = nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        head.weight.fill_(3.)
    x = torch.tensor([[2.]], requires_grad=True)
    y = stage.classify_masked(head, x)
    y.sum().backward()
    assert y.item() == 6. and x.grad.item() == 3. and head.weight.grad is None
    x.grad = None
    y = stage.classify_focus(head, x)
    y.sum().backward()
    assert y.item() == 6. and x.grad is None
    assert head.weight.grad.item() == pytest.approx(2 * gate)


def test_classifier_topk_ratio_is_checked():
    with pytest.raises(ValueError, match='classifier_topk_ratio'):
        _stage(classifier_topk_ratio=0.)
    with pytest.raises(ValueError, match='classifier_topk_ratio'):
        _stage(classifier_topk_ratio=1.5)
    with pytest.raises(ValueError, match="source 'trpn' or 'trpn_pl'"):
        _stage(source='gt', classifier_topk_ratio=0.2)


@pytest.mark.parametrize('name', list(DETECTORS))
def test_topk_ratio_one_is_the_paper(name):
    """rho = 1 keeps every snippet of the mask: with the same classifier
    values (no dropout) every gradient is the paper's."""
    loss_paper, paper = _mil1_grads_stage(name, dropout=False)
    loss_rho, rho = _mil1_grads_stage(name, dropout=False,
                                      classifier_topk_ratio=1.0)
    assert torch.equal(loss_rho, loss_paper)
    for n, g in paper.items():
        if g is None:
            assert rho[n] is None or rho[n].abs().sum() == 0, n
        else:
            assert torch.allclose(rho[n], g, atol=1e-6), n


@pytest.mark.parametrize('name', list(DETECTORS))
def test_topk_ratio_changes_only_what_the_classifier_learns(name):
    """rho = 0.2: L_mil1's value is the paper's, the T-RPN and the
    features get exactly the gradient they get when the classifier learns
    nothing from the mask ('none'), the classifier learns, differently."""
    _, head, upstream = DETECTORS[name]
    loss_paper, paper = _mil1_grads_stage(name)
    _, none = _mil1_grads_stage(name, classifier_grad='none')
    loss_rho, rho = _mil1_grads_stage(name, classifier_topk_ratio=0.2)
    assert torch.equal(loss_rho, loss_paper)
    assert _has_grad(rho, 'proposal_stage.rpn_head')
    assert _has_grad(rho, upstream) and _has_grad(rho, head)
    for n, g in rho.items():
        if n.startswith(head + '.'):
            continue
        want = none[n]
        if want is None:
            assert g is None or g.abs().sum() == 0, n
        else:
            assert torch.allclose(g, want, atol=1e-7), n
    assert any(not torch.allclose(rho[n], paper[n], atol=1e-6)
               for n in rho if n.startswith(head + '.')
               and rho[n] is not None)
    # under 'none' the option changes nothing at all
    _, none_rho = _mil1_grads_stage(name, classifier_grad='none',
                                    classifier_topk_ratio=0.2)
    for n, g in none.items():
        assert (g is None) == (none_rho[n] is None), n
        if g is not None:
            assert torch.equal(g, none_rho[n]), n


def test_focus_ratio_is_logged_not_summed():
    cfg = copy.deepcopy(DETECTORS['dtrploc'][0])
    cfg['proposal_stage'] = dict(STAGE, classifier_topk_ratio=0.25)
    losses = MODELS.build(cfg)([torch.randn(12, 14), torch.randn(8, 14)],
                               _samples([12, 8]), mode='loss')
    # at most floor(0.25 * 12) + floor(0.25 * 8) = 5 of 20 snippets
    assert 0 < losses['classifier_focus_ratio'].item() <= 5 / 20


# ------------------------------------------ background top-k (issue 17.5)
def test_background_topk_loss_by_hand():
    """1 - FSS_cls = [.1, .8, .4, .5, .2, .9], k = 6 // 3 = 2: the top two
    0.9 and 0.8, L = -log 0.85 (a padded snippet never counts)."""
    stage = _stage(loss_weights=dict(bg_topk=0.5))
    fss_cls = torch.tensor([[0.9, 0.2, 0.6, 0.5, 0.8, 0.1, 0.0]],
                           requires_grad=True)
    valid = torch.tensor([[1., 1, 1, 1, 1, 1, 0]])
    assert stage.background_topk_loss(fss_cls, valid).item() == \
        pytest.approx(-math.log(0.85), abs=1e-6)
    fss = torch.full((1, 7), 0.5, requires_grad=True)
    tcas = torch.full((1, 7, 2), 0.5)
    losses = stage.loss(fss, fss_cls, tcas, valid)
    assert losses['loss_bg_topk'].item() == \
        pytest.approx(-0.5 * math.log(0.85), abs=1e-6)
    # it teaches the detector's curve, on its top-k background snippets
    # only: d/dfss_cls_t of -0.5 log(mean) = 0.5 / (2 * 0.85)
    fss_cls.grad = None
    losses['loss_bg_topk'].backward()
    want = [0, 0.5 / 1.7, 0, 0, 0, 0.5 / 1.7, 0]
    assert fss_cls.grad[0].tolist() == pytest.approx(want, abs=1e-6)
    # off by default
    assert 'loss_bg_topk' not in _stage().loss(fss, fss_cls, tcas, valid)
    with pytest.raises(ValueError, match='bg_topk_ratio'):
        _stage(bg_topk_ratio=0.5)
