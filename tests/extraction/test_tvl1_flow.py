"""TV-L1 optical flow: OpenCV contrib present, known displacement
recovered, I3D range, chunk boundaries."""
import cv2
import numpy as np
import pytest
from conftest import moving_frames, texture

from mmtrpn.datasets.extraction import (FLOW_BOUND, TVL1Flow, scale_flow,
                                        to_gray)


def test_opencv_contrib_installed():
    assert hasattr(cv2, 'optflow'), 'opencv-contrib-python is not installed'
    assert hasattr(cv2.optflow, 'DualTVL1OpticalFlow_create')


def test_scale_flow_by_hand():
    raw = np.array([-35, -20, -10, 0, 4, 20, 35], np.float32)
    np.testing.assert_allclose(scale_flow(raw.copy()),
                               [-1, -1, -0.5, 0, 0.2, 1, 1])
    assert FLOW_BOUND == 20.0


def test_gray_matches_opencv():
    frames = np.stack([texture(24, 32, seed=s) for s in range(3)])
    expected = np.stack([cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in frames])
    assert np.abs(to_gray(frames).astype(int) - expected).max() <= 1


@pytest.mark.parametrize('dx,dy', [(2, 1), (-1, 0)])
def test_known_translation(dx, dy):
    """Frame 2 is frame 1 moved by (dx, dy) px: TV-L1 finds it, scaled by
    1 / 20, away from the borders."""
    base = texture(56, 72, seed=3)
    first = base[8:48, 8:64]
    second = base[8 - dy:48 - dy, 8 - dx:64 - dx]
    flow = TVL1Flow()(np.stack([first, second]))
    assert flow.shape == (2, 40, 56, 2) and flow.dtype == np.float32
    inner = flow[0, 6:-6, 6:-6]
    assert np.median(inner[..., 0]) == pytest.approx(dx / 20, abs=0.01)
    assert np.median(inner[..., 1]) == pytest.approx(dy / 20, abs=0.01)
    # The last frame of a video repeats the flow before it.
    np.testing.assert_array_equal(flow[1], flow[0])
    assert np.abs(flow).max() <= 1.0


def test_chunks_agree_with_whole_sequence():
    frames = moving_frames(6, step=1)
    flow = TVL1Flow()
    whole = flow(frames)
    first = flow(frames[:3], frames[3])
    last = flow(frames[3:])
    np.testing.assert_allclose(np.concatenate([first, last]), whole,
                               atol=1e-6)
    # Threads give the same pairs.
    np.testing.assert_allclose(TVL1Flow(workers=2)(frames), whole,
                               atol=1e-6)
    # One frame alone: no pair, zero flow.
    assert not TVL1Flow()(frames[:1]).any()
