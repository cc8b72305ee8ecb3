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


# The published architecture, restated independently of the model code:
# Inception blocks and their branch widths (b0, b1a, b1b, b2a, b2b, b3b),
# input widths, as in the PyTorch I3D checkpoints.
BLOCKS = {
    'Mixed_3b': (192, (64, 96, 128, 16, 32, 32)),
    'Mixed_3c': (256, (128, 128, 192, 32, 96, 64)),
    'Mixed_4b': (480, (192, 96, 208, 16, 48, 64)),
    'Mixed_4c': (512, (160, 112, 224, 24, 64, 64)),
    'Mixed_4d': (512, (128, 128, 256, 24, 64, 64)),
    'Mixed_4e': (512, (112, 144, 288, 32, 64, 64)),
    'Mixed_4f': (528, (256, 160, 320, 32, 128, 128)),
    'Mixed_5b': (832, (256, 160, 320, 32, 128, 128)),
    'Mixed_5c': (832, (384, 192, 384, 48, 128, 128)),
}


def checkpoint_layout(in_channels=3, num_classes=400):
    """{key: shape} of a PyTorch I3D checkpoint (no num_batches_tracked,
    as in the released files)."""
    units = {
        'Conv3d_1a_7x7': (64, in_channels, 7, 7, 7),
        'Conv3d_2b_1x1': (64, 64, 1, 1, 1),
        'Conv3d_2c_3x3': (192, 64, 3, 3, 3),
    }
    for name, (cin, (w0, w1a, w1b, w2a, w2b, w3)) in BLOCKS.items():
        units.update({
            f'{name}.b0': (w0, cin, 1, 1, 1),
            f'{name}.b1a': (w1a, cin, 1, 1, 1),
            f'{name}.b1b': (w1b, w1a, 3, 3, 3),
            f'{name}.b2a': (w2a, cin, 1, 1, 1),
            f'{name}.b2b': (w2b, w2a, 3, 3, 3),
            f'{name}.b3b': (w3, cin, 1, 1, 1),
        })
    layout = {}
    for unit, shape in units.items():
        layout[f'{unit}.conv3d.weight'] = shape
        for p in ('weight', 'bias', 'running_mean', 'running_var'):
            layout[f'{unit}.bn.{p}'] = (shape[0], )
    layout['logits.conv3d.weight'] = (num_classes, 1024, 1, 1, 1)
    layout['logits.conv3d.bias'] = (num_classes, )
    return layout


def random_checkpoint(path, in_channels=3, seed=0, prefix=''):
    gen = torch.Generator().manual_seed(seed)
    state = {}
    for key, shape in checkpoint_layout(in_channels).items():
        if key.endswith('conv3d.weight'):
            # He-scaled, so that the input still shows in the features.
            fan_in = float(np.prod(shape[1:]))
            value = torch.randn(shape, generator=gen) * (2 / fan_in)**0.5
        elif key.endswith('running_var'):
            value = torch.rand(shape, generator=gen) + 0.5
        elif key.endswith('bn.weight'):
            value = 1 + 0.1 * torch.randn(shape, generator=gen)
        else:
            value = 0.1 * torch.randn(shape, generator=gen)
        state[prefix + key] = value
    torch.save(state, str(path))
    return state
