"""Figure helpers and the test-time visualization hook, on fabricated
predictions (no model)."""
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.structures import BaseDataElement

from mmtrpn.structures.segments import mask_runs
from mmtrpn.visualization import (WSTALVisualizationHook, assign_lanes,
                                  plot_detection, select_detections)

PNG_MAGIC = b'\x89PNG\r\n\x1a\n'
CLASSES = ['Jump', 'Throw', 'Run']


def _sample(with_gt=True, num_det=12, name='v1'):
    rng = np.random.default_rng(0)
    t, snip = 100, 0.64
    s = BaseDataElement(metainfo=dict(video_name=name, duration=t * snip,
                                      snippet_duration=snip, num_snippets=t))
    starts = rng.uniform(0, 60, num_det)
    s.pred_segments = torch.tensor(
        np.stack([starts, starts + rng.uniform(0.3, 6, num_det)], 1),
        dtype=torch.float32)
    s.pred_labels = torch.tensor(rng.integers(0, 3, num_det))
    s.pred_scores = torch.tensor(rng.uniform(0, 1.2, num_det))
    s.video_scores = torch.tensor([0.9, 0.2, 0.6])
    s.fg_curve = torch.rand(t)
    s.cas = torch.rand(t, 3)
    s.proposal_mask = (torch.rand(t) > 0.5).float()
    if with_gt:
        s.gt_segments = torch.tensor([[1.0, 5.0], [20.0, 30.0]])
        s.gt_labels = torch.tensor([0, 2])
    return s


def test_mask_runs():
    assert mask_runs(np.array([1, 1, 0, 0, 1, 0, 1])).tolist() == [[0, 2],
                                                                   [4, 5],
                                                                   [6, 7]]
    assert mask_runs(np.zeros(4)).shape == (0, 2)


def test_assign_lanes_never_overlap():
    rng = np.random.default_rng(1)
    s = rng.uniform(0, 50, 40)
    e = s + rng.uniform(0.1, 10, 40)
    lanes = assign_lanes(s, e)
    for lane in np.unique(lanes):
        idx = np.argsort(s[lanes == lane])
        ss, ee = s[lanes == lane][idx], e[lanes == lane][idx]
        assert (ss[1:] >= ee[:-1]).all()
    # Disjoint intervals share one lane.
    assert assign_lanes([0, 2, 4], [1, 3, 5]).tolist() == [0, 0, 0]


def test_select_detections_keeps_gt_class_and_top_k():
    labels = np.array([0, 0, 0, 1, 2, 2])
    scores = np.array([0.1, 0.9, 0.5, 0.8, 0.3, 0.2])
    rows = select_detections(np.zeros((6, 2)), labels, scores, top_k=2,
                             max_classes=1, must_keep=[2])
    assert [c for c, _ in rows] == [2]
    rows = select_detections(np.zeros((6, 2)), labels, scores, top_k=2,
                             max_classes=2)
    assert [c for c, _ in rows] == [0, 1]
    assert rows[0][1].tolist() == [1, 2]  # best two of class 0, best first
    # Video-level scores decide the order when given.
    rows = select_detections(np.zeros((6, 2)), labels, scores,
                             max_classes=3, class_scores=[0.1, 0.2, 0.9])
    assert [c for c, _ in rows] == [2, 1, 0]


@pytest.mark.parametrize('with_gt,num_det', [(True, 12), (False, 0)])
def test_plot_detection_writes_png(tmp_path, with_gt, num_det):
    out = tmp_path / 'sub' / 'v.png'
    plot_detection(_sample(with_gt, num_det), CLASSES, out_file=str(out))
    data = out.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 5000


def test_plot_detection_returns_figure_rows():
    import matplotlib.pyplot as plt
    fig = plot_detection(_sample(), CLASSES, top_k=2)
    labels = [t.get_text() for ax in fig.axes for t in ax.get_yticklabels()]
    assert 'GT Jump' in labels and 'GT Run' in labels
    assert 'T-RPN proposals' in labels
    assert any(lab.startswith('Jump (video 0.90)') for lab in labels)
    texts = [t for ax in fig.axes for t in ax.texts]
    assert len(texts) <= 2 * 3  # top 2 per class, 3 classes at most
    plt.close(fig)


def test_hook_registered_and_draws(tmp_path):
    from mmtrpn.registry import HOOKS
    from mmtrpn.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    hook = HOOKS.build(dict(type='WSTALVisualizationHook',
                            out_dir=str(tmp_path), max_videos=2))
    assert isinstance(hook, WSTALVisualizationHook)
    runner = SimpleNamespace(
        test_dataloader=SimpleNamespace(
            dataset=SimpleNamespace(metainfo=dict(classes=CLASSES))),
        model=None)
    hook.before_test(runner)
    hook.after_test_iter(runner, 0, None,
                         [_sample(name='a'), _sample(name='b')])
    hook.after_test_iter(runner, 1, None, [_sample(name='c')])
    assert sorted(p.name for p in tmp_path.glob('*.png')) == ['a.png',
                                                             'b.png']


def _curve_panel(fig):
    return fig.axes[0]


def test_tcas_panel_names_its_class_and_marks_other_gt():
    """The shaded ground truth under the T-CAS is the class drawn; the
    other classes' ground truth is hatched grey, and both are named."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import to_hex

    from mmtrpn.visualization.det_plot import GT_COLOR, OTHER_GT_COLOR
    fig = plot_detection(_sample(), CLASSES)  # video scores: Jump on top
    ax = _curve_panel(fig)
    assert [t.get_text() for t in ax.texts] == ['T-CAS of Jump']
    spans = [p for p in ax.patches]
    green = [p for p in spans if not p.get_hatch()]
    hatched = [p for p in spans if p.get_hatch() == '///']
    # gt: Jump [1, 5] (shown class), Run [20, 30] (other).
    assert len(green) == 1 and len(hatched) == 1
    assert to_hex(green[0].get_facecolor()) == GT_COLOR
    assert to_hex(hatched[0].get_edgecolor()) == OTHER_GT_COLOR
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert 'ground truth of Jump' in legend
    assert 'ground truth, other classes' in legend
    assert 'T-CAS of Jump' in legend
    plt.close(fig)
    # Asking for Run's T-CAS turns the colours round.
    fig = plot_detection(_sample(), CLASSES, cas_class=2)
    ax = _curve_panel(fig)
    assert [t.get_text() for t in ax.texts] == ['T-CAS of Run']
    hatched = [p for p in ax.patches if p.get_hatch() == '///']
    assert len(hatched) == 1
    assert hatched[0].get_x() == pytest.approx(1.0)  # Jump's [1, 5]
    plt.close(fig)
    with pytest.raises(ValueError, match='cas_class 5'):
        plot_detection(_sample(), CLASSES, cas_class=5)
