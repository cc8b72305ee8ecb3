"""Temporal sampling of snippets for training."""
import numpy as np
from mmcv.transforms import BaseTransform

from mmtrpn.registry import TRANSFORMS


def uniform_bin_indices(length: int, num: int, random: bool) -> np.ndarray:
    """One index per uniform bin of [0, length); sorted, int64.

    With ``random`` the index is drawn uniformly inside its bin (numpy's
    global RNG, which MMEngine seeds per worker), else it is the bin centre.
    When ``length < num`` bins are narrower than a snippet and indices
    repeat.
    """
    if length <= 0:
        raise ValueError(f'Cannot sample from {length} snippets.')
    edges = np.arange(num + 1, dtype=np.float64) * (length / num)
    lo, width = edges[:-1], np.diff(edges)
    offset = np.random.random_sample(num) if random else 0.5
    idx = np.floor(lo + offset * width).astype(np.int64)
    return np.clip(idx, 0, length - 1)


@TRANSFORMS.register_module()
class SampleSnippets(BaseTransform):
    """Sample a fixed number of snippets (training).

    Replaces ``rgb`` and ``flow`` by the sampled rows and adds
    ``snippet_indices``; ``num_snippets`` stays the full length.

    Args:
        num_snippets (int): Snippets per video (320 THUMOS-14, 60
            ActivityNet-1.2).
        random (bool): Random index per bin; False takes bin centres.
    """

    def __init__(self, num_snippets: int = 320, random: bool = True) -> None:
        if num_snippets <= 0:
            raise ValueError(f'num_snippets must be > 0, got {num_snippets}')
        self.num_snippets = int(num_snippets)
        self.random = random

    def transform(self, results: dict) -> dict:
        length = results['rgb'].shape[0]
        idx = uniform_bin_indices(length, self.num_snippets, self.random)
        results['rgb'] = results['rgb'][idx]
        results['flow'] = results['flow'][idx]
        results['snippet_indices'] = idx
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_snippets={self.num_snippets},'
                f' random={self.random})')
