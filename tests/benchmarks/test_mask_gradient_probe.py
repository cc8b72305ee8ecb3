"""benchmarks/mask_gradient_probe.py: the group sums by hand."""
import torch

from benchmarks.mask_gradient_probe import group_sums


def test_group_sums_by_hand():
    grad = torch.tensor([[1., 2., 3., 4., 5.], [10., 20., 30., 40., 50.]])
    mask = torch.tensor([[1., 1., 0., 0., 0.], [0., 1., 0., 1., 0.]])
    kept = torch.tensor([[1., 0., 1., 0., 0.], [1., 1., 1., 0., 0.]])
    valid = torch.tensor([[1., 1., 1., 1., 0.], [1., 1., 1., 1., 1.]])
    out = group_sums(grad, mask, kept, valid)
    # per video: kept_in {1} / {20}, zeroed_in {2} / {40}, kept_out {3} /
    # {10, 30}, zeroed_out {4} (5 is padding) / {50}; means over 2 videos
    assert out['kept_in'] == dict(grad=10.5, snippets=1.0)
    assert out['zeroed_in'] == dict(grad=21.0, snippets=1.0)
    assert out['kept_out'] == dict(grad=21.5, snippets=1.5)
    assert out['zeroed_out'] == dict(grad=27.0, snippets=1.0)
