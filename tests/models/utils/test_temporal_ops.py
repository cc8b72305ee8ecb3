import pytest
import torch

from mmtrpn.models.utils import (append_background, masked_avg_pool,
                                 masked_mean, pad_inputs, top_fraction_mask,
                                 topk_pool)


def test_pad_inputs_list_and_stacked():
    x, valid = pad_inputs([torch.ones(2, 3), 2 * torch.ones(4, 3)])
    assert x.shape == (2, 4, 3)
    assert valid.tolist() == [[1, 1, 0, 0], [1, 1, 1, 1]]
    assert x[0, 2:].abs().sum() == 0 and x[1, 3].tolist() == [2, 2, 2]
    x, valid = pad_inputs(torch.zeros(5, 3))  # one (T, D) video
    assert x.shape == (1, 5, 3) and valid.tolist() == [[1] * 5]


def test_masked_mean_over_dims_by_hand():
    x = torch.tensor([[1., 2, 3, 100], [4, 5, 6, 7]])
    valid = torch.tensor([[1., 1, 1, 0], [1, 1, 1, 1]])
    # per video: (1 + 2 + 3) / 3 = 2; (4 + 5 + 6 + 7) / 4 = 5.5
    assert masked_mean(x, valid, dim=-1).tolist() == [2.0, 5.5]
    # every real snippet of the batch: 28 / 7 = 4
    assert masked_mean(x, valid).item() == pytest.approx(4.0)
    # features (B, T, D) over time: the mask broadcasts, summed unexpanded
    feat = x.unsqueeze(-1).repeat(1, 1, 2)
    out = masked_mean(feat, valid.unsqueeze(-1), dim=1)
    assert out.tolist() == [[2.0, 2.0], [5.5, 5.5]]
    # (B, D, T) with keepdim, as the consensus module reads it
    out = masked_mean(feat.transpose(1, 2), valid.unsqueeze(1), dim=-1,
                      keepdim=True)
    assert out.shape == (2, 2, 1) and out[0, 0, 0] == 2.0
    # an empty mask gives 0, not NaN
    assert masked_mean(x, torch.zeros_like(x)).item() == 0.0


def test_append_background():
    labels = torch.tensor([[1., 0.], [0., 1.]])
    assert append_background(labels, 1.).tolist() == [[1, 0, 1],
                                                       [0, 1, 1]]
    assert append_background(labels, 0.)[:, -1].tolist() == [0, 0]


def test_topk_pool_respects_padding():
    # video 0: 5 valid, r = 2 -> k = 2 -> mean(5, 4) = 4.5
    # video 1: 3 valid (+2 padded 100s), k = max(1, 3 // 2) = 1 -> 3
    tcas = torch.tensor([[1., 5, 3, 2, 4], [3, 1, 2, 100, 100]]).unsqueeze(-1)
    valid = torch.tensor([[1., 1, 1, 1, 1], [1, 1, 1, 0, 0]])
    out = topk_pool(tcas, valid, ratio=2)
    assert out.shape == (2, 1)
    assert out[:, 0].tolist() == pytest.approx([4.5, 3.0])
    # k floors at 1 for a video shorter than r
    out = topk_pool(tcas, valid, ratio=8)
    assert out[:, 0].tolist() == pytest.approx([5.0, 3.0])


def test_masked_avg_pool_and_empty_guard():
    tcas = torch.tensor([[1., 2, 3, 4], [1, 2, 6, 100]]).unsqueeze(-1)
    valid = torch.tensor([[1., 1, 1, 1], [1, 1, 1, 0]])
    mask = torch.tensor([[0., 1, 1, 0], [0, 0, 0, 0]])
    out = masked_avg_pool(tcas, mask, valid)
    # video 0: (2 + 3) / 2 = 2.5; video 1 has an empty mask and falls back
    # to its valid snippets: (1 + 2 + 6) / 3 = 3
    assert out[:, 0].tolist() == pytest.approx([2.5, 3.0])


def test_masked_avg_pool_passes_mask_gradient():
    tcas = torch.tensor([[1., 2, 3]]).unsqueeze(-1)
    mask = torch.tensor([[1., 1., 0.]], requires_grad=True)
    masked_avg_pool(tcas, mask, torch.ones(1, 3)).sum().backward()
    # d/dm_t of sum(m c) / sum(m) = (c_t - 1.5) / 2
    assert mask.grad[0].tolist() == pytest.approx([-0.25, 0.25, 0.75])


def test_top_fraction_mask_by_rank_by_hand():
    scores = torch.tensor([[0.1, 0.9, 0.5, 0.7, 0.3, 9.0],
                           [0.2, 0.2, 0.1, 0.0, 0.0, 0.0]])
    valid = torch.tensor([[1., 1, 1, 1, 1, 0], [1, 1, 1, 0, 0, 0]])
    # video 0: 5 valid, k = floor(0.5 * 5) = 2 -> 0.9 and 0.7 (the padded
    # 9.0 never counts); video 1: 3 valid, k = 1, the tie goes to the
    # earlier snippet
    out = top_fraction_mask(scores, valid, 0.5)
    assert out.tolist() == [[0, 1, 0, 1, 0, 0], [1, 0, 0, 0, 0, 0]]
    # a rank, not a level: shifting a video's scores keeps the same mask
    assert torch.equal(top_fraction_mask(scores - 5, valid, 0.5), out)
    # at least one snippet per video; the whole video at fraction 1
    assert top_fraction_mask(scores, valid, 0.01).sum(-1).tolist() == [1, 1]
    assert torch.equal(top_fraction_mask(scores, valid, 1.0), valid)
