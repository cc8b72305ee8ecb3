"""Tiny generated videos for the extraction tests (cv2.VideoWriter, MJPG
or mp4v): a few dozen 32x24 frames keep TV-L1 and I3D fast on 2 cores."""
import cv2
import numpy as np
import pytest
import torch


def texture(height, width, seed=0):
    """Smooth random RGB texture (TV-L1 needs gradients to track)."""
    rng = np.random.default_rng(seed)
    noise = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    return cv2.GaussianBlur(noise, (0, 0), 1.5)


def write_video(path, frames, fps, fourcc='MJPG'):
    """Write RGB uint8 frames (N, H, W, 3); returns the path as str."""
    frames = np.asarray(frames, np.uint8)
    height, width = frames.shape[1:3]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc),
                             fps, (width, height))
    assert writer.isOpened(), f'cannot write {path} with {fourcc}'
    for frame in frames:
        writer.write(np.ascontiguousarray(frame[..., ::-1]))
    writer.release()
    return str(path)


def moving_frames(num, height=24, width=32, step=1, seed=0):
    """A texture panning ``step`` pixels per frame to the left."""
    big = texture(height, width + step * num, seed)
    return np.stack([big[:, i * step:i * step + width] for i in range(num)])


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
