"""TV-L1 optical flow (OpenCV contrib) in the I3D flow input range.

Flow of frame ``i`` is the displacement from frame ``i`` to ``i + 1`` in
pixels, ``(dx, dy)``, clipped to ``[-20, 20]`` and divided by 20, so in
``[-1, 1]`` (the range of the I3D flow stream's training input). The last
frame of a video repeats the flow before it (a one-frame video has zero
flow).
"""
from concurrent.futures import ThreadPoolExecutor
from typing import Optional

import cv2
import numpy as np

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


class TVL1Flow:
    """Callable: ``(N, H, W, 3)`` RGB frames (+ the frame after them, or
    None at the end of a video) -> ``(N, H, W, 2)`` float32 flow in
    ``[-1, 1]``.

    Args:
        workers (int): Frame pairs computed in parallel (threads; OpenCV
            releases the GIL). Defaults to 1.
        bound (float): Clipping bound in pixels. Defaults to 20.
    """

    def __init__(self, workers: int = 1, bound: float = FLOW_BOUND) -> None:
        self._create = _tvl1_factory()
        self.workers = max(1, int(workers))
        self.bound = float(bound)
        # One solver per thread: a solver keeps state between calls.
        self._solvers = [self._create() for _ in range(self.workers)]
        self._pool = ThreadPoolExecutor(self.workers) \
            if self.workers > 1 else None

    def pair(self, first: np.ndarray, second: np.ndarray,
             solver=None) -> np.ndarray:
        """Raw TV-L1 flow (H, W, 2) in pixels between two gray frames."""
        solver = solver or self._solvers[0]
        return solver.calc(first, second, None)

    def __call__(self, frames: np.ndarray,
                 next_frame: Optional[np.ndarray] = None) -> np.ndarray:
        gray = to_gray(frames if next_frame is None else np.concatenate(
            [frames, next_frame[None]]))
        num_pairs = len(gray) - 1
        out = np.zeros(frames.shape[:3] + (2, ), np.float32)
        if num_pairs > 0:
            jobs = [(i, self._solvers[i % self.workers])
                    for i in range(num_pairs)]
            run = (lambda job: self.pair(gray[job[0]], gray[job[0] + 1],
                                         job[1]))
            if self._pool is None:
                flows = [run(j) for j in jobs]
            else:
                # Each worker's solver is used by one thread at a time.
                flows = self._run_parallel(jobs, run)
            out[:num_pairs] = np.stack(flows)
            if num_pairs < len(frames):   # end of video: repeat the last
                out[num_pairs:] = out[num_pairs - 1]
        return scale_flow(out, self.bound)

    def _run_parallel(self, jobs, run):
        lanes = [jobs[w::self.workers] for w in range(self.workers)]
        results = self._pool.map(lambda lane: [run(j) for j in lane], lanes)
        flows = [None] * len(jobs)
        for w, lane_out in enumerate(results):
            flows[w::self.workers] = lane_out
        return flows
