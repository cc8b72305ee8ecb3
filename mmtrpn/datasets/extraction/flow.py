"""TV-L1 optical flow in the I3D flow input range: OpenCV contrib's solver
or the torch port of it (:mod:`.tvl1_torch`, batched, CPU or GPU).

Flow of frame ``i`` is the displacement from frame ``i`` to ``i + 1`` in
pixels, ``(dx, dy)``, clipped to ``[-20, 20]`` and divided by 20, so in
``[-1, 1]`` (the range of the I3D flow stream's training input). The last
frame of a video repeats the flow before it (a one-frame video has zero
flow).
"""
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Optional

import cv2
import numpy as np
import torch

from .tvl1_torch import TorchTVL1

FLOW_BOUND = 20.0
# ITU-R BT.601 luma, as cv2.COLOR_RGB2GRAY.
_LUMA = np.array([0.299, 0.587, 0.114], np.float32)


def _tvl1_factory():
    optflow = getattr(cv2, 'optflow', None)
    if optflow is None or not hasattr(optflow, 'DualTVL1OpticalFlow_create'):
        raise ImportError(
            'TV-L1 optical flow needs OpenCV\'s contrib modules '
            '(cv2.optflow): install opencv-contrib-python at the same '
            f'version as opencv-python (found cv2 {cv2.__version__} without '
            'them)')
    return optflow.DualTVL1OpticalFlow_create


def to_gray(frames: np.ndarray) -> np.ndarray:
    """(N, H, W, 3) RGB uint8 -> (N, H, W) uint8, all frames at once."""
    gray = frames.astype(np.float32) @ _LUMA
    return np.clip(gray + 0.5, 0, 255).astype(np.uint8)


def scale_flow(flow: np.ndarray, bound: float = FLOW_BOUND) -> np.ndarray:
    """Pixels -> [-1, 1]: clip to ``[-bound, bound]``, divide by it."""
    return np.clip(flow, -bound, bound, out=flow) / np.float32(bound)


FLOW_BACKENDS = ('opencv', 'torch')


class TVL1Flow:
    """Callable: ``(N, H, W, 3)`` RGB frames (+ the frame after them, or
    None at the end of a video) -> ``(N, H, W, 2)`` float32 flow in
    ``[-1, 1]``.

    Args:
        workers (int): With ``backend='opencv'``, frame pairs computed in
            parallel (threads; OpenCV releases the GIL). Defaults to 1.
        bound (float): Clipping bound in pixels. Defaults to 20.
        backend (str): ``'opencv'`` (cv2.optflow's DualTVL1, CPU) or
            ``'torch'`` (:class:`TorchTVL1`, same model and defaults,
            batched, runs on ``device``). Defaults to ``'opencv'``.
        device (str): Where the torch backend runs. Defaults to ``'cpu'``.
        pairs_per_batch (int): Pairs the torch backend solves at once
            (memory: about 40 float maps of a frame per pair). Defaults
            to 16.
    """

    def __init__(self, workers: int = 1, bound: float = FLOW_BOUND,
                 backend: str = 'opencv', device: str = 'cpu',
                 pairs_per_batch: int = 16) -> None:
        if backend not in FLOW_BACKENDS:
            raise ValueError(f'flow backend must be one of {FLOW_BACKENDS}, '
                             f'got {backend!r}')
        self.backend = backend
        self.workers = max(1, int(workers))
        self.bound = float(bound)
        self.pairs_per_batch = max(1, int(pairs_per_batch))
        self._pool = None
        if backend == 'torch':
            self._torch = TorchTVL1(device)
            return
        self._create = _tvl1_factory()
        # One solver per thread: a solver keeps state between calls.
        self._solvers = [self._create() for _ in range(self.workers)]
        if self.workers > 1:
            self._pool = ThreadPoolExecutor(self.workers)

    def pair(self, first: np.ndarray, second: np.ndarray,
             solver=None) -> np.ndarray:
        """Raw OpenCV TV-L1 flow (H, W, 2) in pixels between two gray
        frames."""
        solver = solver or self._solvers[0]
        return solver.calc(first, second, None)

    def pairs(self, gray: np.ndarray,
              on_pairs: Optional[Callable[[int], None]] = None
              ) -> np.ndarray:
        """Raw flow (N - 1, H, W, 2) in pixels between consecutive frames
        of ``gray`` (N, H, W) uint8; ``on_pairs(k)`` after each ``k``
        pairs done."""
        if self.backend == 'torch':
            return self._torch_pairs(gray, on_pairs)
        jobs = [(i, self._solvers[i % self.workers])
                for i in range(len(gray) - 1)]

        def run(job):
            flow = self.pair(gray[job[0]], gray[job[0] + 1], job[1])
            if on_pairs is not None:
                on_pairs(1)
            return flow

        if self._pool is None:
            return np.stack([run(j) for j in jobs])
        # Each worker's solver is used by one thread at a time.
        lanes = [jobs[w::self.workers] for w in range(self.workers)]
        results = self._pool.map(lambda lane: [run(j) for j in lane], lanes)
        flows = [None] * len(jobs)
        for w, lane_out in enumerate(results):
            flows[w::self.workers] = lane_out
        return np.stack(flows)

    def _torch_pairs(self, gray, on_pairs):
        out = []
        step = self.pairs_per_batch
        for i in range(0, len(gray) - 1, step):
            stop = min(i + step, len(gray) - 1)
            out.append(self._torch(gray[i:stop], gray[i + 1:stop + 1]).cpu())
            if on_pairs is not None:
                on_pairs(stop - i)
        return torch.cat(out).numpy()

    def __call__(self, frames: np.ndarray,
                 next_frame: Optional[np.ndarray] = None,
                 on_pairs: Optional[Callable[[int], None]] = None
                 ) -> np.ndarray:
        gray = to_gray(frames if next_frame is None else np.concatenate(
            [frames, next_frame[None]]))
        num_pairs = len(gray) - 1
        out = np.zeros(frames.shape[:3] + (2, ), np.float32)
        if num_pairs > 0:
            out[:num_pairs] = self.pairs(gray, on_pairs)
            if num_pairs < len(frames):   # end of video: repeat the last
                out[num_pairs:] = out[num_pairs - 1]
        return scale_flow(out, self.bound)
