"""The torch TV-L1: its building blocks against OpenCV's and by hand, a
known translation recovered, and the flow against OpenCV's DualTVL1."""
import cv2
import numpy as np
import pytest
import torch
from conftest import moving_frames, texture

from mmtrpn.datasets.extraction import TVL1_DEFAULTS, TorchTVL1, TVL1Flow
from mmtrpn.datasets.extraction.tvl1_torch import (centred_gradient,
                                                   divergence,
                                                   forward_gradient,
                                                   median_blur,
                                                   median_filter,
                                                   resize_linear,
                                                   warp_bicubic)


def _gray(seed, height=40, width=56):
    return cv2.cvtColor(texture(height, width, seed), cv2.COLOR_RGB2GRAY)


def test_defaults_are_opencvs():
    solver = cv2.optflow.DualTVL1OpticalFlow_create()
    assert TVL1_DEFAULTS == dict(
        tau=solver.getTau(), lambda_=solver.getLambda(),
        theta=solver.getTheta(), num_scales=solver.getScalesNumber(),
        warps=solver.getWarpingsNumber(), epsilon=solver.getEpsilon(),
        inner_iterations=solver.getInnerIterations(),
        outer_iterations=solver.getOuterIterations(),
        scale_step=solver.getScaleStep(),
        median_size=solver.getMedianFiltering())
    with pytest.raises(TypeError, match='lamda'):
        TorchTVL1(lamda=0.1)


def test_gradients_by_hand():
    u = torch.tensor([[[1., 2., 4.], [0., 0., 3.]]])
    dx, dy = forward_gradient(u)
    assert dx.tolist() == [[[1, 2, 0], [0, 3, 0]]]
    assert dy.tolist() == [[[-1, -2, -1], [0, 0, 0]]]
    cx, cy = centred_gradient(u)
    # Border pixels repeated outside: x=0 -> (2 - 1) / 2, x=2 -> (4 - 2) / 2
    assert cx.tolist() == [[[0.5, 1.5, 1.0], [0.0, 1.5, 1.5]]]
    assert cy.tolist() == [[[-0.5, -1.0, -0.5], [-0.5, -1.0, -0.5]]]


def test_divergence_is_minus_adjoint_of_gradient():
    """<grad u, p> = -<u, div p> for every u, p (what the dual step
    needs)."""
    gen = torch.Generator().manual_seed(0)
    u = torch.randn(2, 7, 9, generator=gen)
    px, py = torch.randn(2, 2, 7, 9, generator=gen)
    # OpenCV's p stays 0 where the forward difference is defined as 0.
    px[:, :, -1] = 0
    py[:, -1] = 0
    dx, dy = forward_gradient(u)
    lhs = (dx * px + dy * py).sum()
    assert float(lhs) == pytest.approx(float(-(u * divergence(px, py)).sum()),
                                       rel=1e-5)


def test_resize_median_warp_match_opencv():
    image = _gray(1).astype(np.float32)
    batch = torch.from_numpy(image)[None]
    # Shrink by a factor, as the pyramid does.
    expected = cv2.resize(image, None, fx=0.8, fy=0.8,
                          interpolation=cv2.INTER_LINEAR)
    got = resize_linear(batch, expected.shape, (1 / 0.8, 1 / 0.8))[0]
    np.testing.assert_allclose(got.numpy(), expected, atol=1e-3)
    # Grow to a size, as the flow is brought to the finer level.
    expected = cv2.resize(image, (70, 50), interpolation=cv2.INTER_LINEAR)
    got = resize_linear(batch, (50, 70), (40 / 50, 56 / 70))[0]
    np.testing.assert_allclose(got.numpy(), expected, atol=1e-3)
    for median in (median_filter, median_blur):
        np.testing.assert_allclose(
            median(batch, 5)[0].numpy(), cv2.medianBlur(image, 5))
    # Bicubic warp, zero outside; OpenCV rounds coordinates to 1/32 px.
    rng = np.random.default_rng(0)
    u1, u2 = (rng.uniform(-3, 3, image.shape).astype(np.float32)
              for _ in range(2))
    ys, xs = np.mgrid[:image.shape[0], :image.shape[1]].astype(np.float32)
    expected = cv2.remap(image, xs + u1, ys + u2, cv2.INTER_CUBIC,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    got = warp_bicubic(batch[:, None], torch.from_numpy(u1)[None],
                       torch.from_numpy(u2)[None])[0, 0].numpy()
    inner = np.s_[4:-4, 4:-4]
    assert np.abs(got[inner] - expected[inner]).mean() < 0.5   # of 0..255


@pytest.mark.parametrize('dx,dy', [(2, 1), (-1, 0)])
def test_known_translation(dx, dy):
    """Frame 2 is frame 1 moved by (dx, dy) px: the flow inside is
    (dx, dy) within 0.1 px."""
    base = texture(56, 72, seed=3)
    first = cv2.cvtColor(base[8:48, 8:64], cv2.COLOR_RGB2GRAY)
    second = cv2.cvtColor(base[8 - dy:48 - dy, 8 - dx:64 - dx],
                          cv2.COLOR_RGB2GRAY)
    flow = TorchTVL1()(first[None], second[None])
    assert flow.shape == (1, 40, 56, 2) and flow.dtype == torch.float32
    inner = flow[0, 6:-6, 6:-6]
    assert float(inner[..., 0].median()) == pytest.approx(dx, abs=0.1)
    assert float(inner[..., 1].median()) == pytest.approx(dy, abs=0.1)


def test_close_to_opencv_and_batch_independent():
    """Average end-point error against cv2.optflow's DualTVL1 on a
    panning texture; a pair's flow is the same alone or in a batch."""
    frames = np.stack([cv2.cvtColor(f, cv2.COLOR_RGB2GRAY)
                       for f in moving_frames(3, 40, 56, step=2, seed=4)])
    frames[2] = _gray(5)   # an unrelated frame: converges differently
    reference = np.stack([
        cv2.optflow.DualTVL1OpticalFlow_create().calc(a, b, None)
        for a, b in zip(frames[:-1], frames[1:])])
    batched = TorchTVL1()(frames[:-1], frames[1:]).numpy()
    alone = TorchTVL1()(frames[:1], frames[1:2]).numpy()
    np.testing.assert_allclose(alone[0], batched[0], atol=1e-4)
    epe = np.linalg.norm(batched[0] - reference[0], axis=-1)
    assert epe.mean() < 0.05, epe.mean()   # the motion is 2 px


def test_backend_in_flow_wrapper():
    frames = moving_frames(4, 40, 56, step=1, seed=6)
    flow = TVL1Flow(backend='torch', pairs_per_batch=2)
    calls = []
    out = flow(frames, on_pairs=calls.append)
    assert out.shape == (4, 40, 56, 2) and np.abs(out).max() <= 1
    assert calls == [2, 1]   # 3 pairs, two at a time
    np.testing.assert_array_equal(out[3], out[2])   # last repeats
    inner = out[:3, 6:-6, 6:-6, 0] * 20
    assert np.median(inner) == pytest.approx(-1, abs=0.1)   # pans left
    opencv_calls = []
    TVL1Flow()(frames, on_pairs=opencv_calls.append)
    assert opencv_calls == [1, 1, 1]
    with pytest.raises(ValueError, match='backend'):
        TVL1Flow(backend='farneback')
