"""Batch samplers for weakly supervised training."""
import math
from typing import Iterator, List, Optional

import numpy as np
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler

from mmtrpn.registry import DATA_SAMPLERS


def video_labels(dataset) -> np.ndarray:
    """(N, C) bool multi-hot labels of every video, read from the data
    infos (``label``); no feature file is opened."""
    if not hasattr(dataset, 'get_data_info'):
        raise TypeError('ClassPairBatchSampler needs a dataset with '
                        'get_data_info (an MMEngine BaseDataset), got '
                        f'{type(dataset).__name__}')
    rows = [np.asarray(dataset.get_data_info(i)['label']) > 0
            for i in range(len(dataset))]
    if not rows:
        raise ValueError(f'{type(dataset).__name__} holds no videos: '
                         'nothing to sample')
    return np.stack(rows)


@DATA_SAMPLERS.register_module()
class ClassPairBatchSampler(Sampler):
    """Endless batches that start with same-class video pairs (W-TALC and
    CO2-Net's training batches), for the co-activity similarity loss.

    Batch ``g`` of the global stream is drawn by its own generator
    ``numpy.random.default_rng([seed, g])``:

    1. ``num_pairs`` classes, uniformly and with replacement among the
       classes that hold at least 2 videos;
    2. for each, 2 distinct videos of that class, uniformly; they sit at
       positions ``(2i, 2i + 1)``;
    3. ``batch_size - 2 num_pairs`` more videos, uniformly and with
       replacement among all videos.

    Rank ``r`` of ``W`` takes the global batches ``r, r + W, r + 2W, ...``
    (as ``InfiniteSampler`` deals its index stream), so one run with W
    ranks sees the same batches as W consecutive steps of one rank. A
    batch depends only on ``(seed, g)``: the stream is reproducible, and
    the loop's replay of the skipped batches on resume lands on the batch
    the uninterrupted run would draw next.

    Built by the Runner from ``train_dataloader.batch_sampler``, which
    hands over the loader's ``sampler`` (its dataset and seed are used,
    its order is not) and ``batch_size``.

    Args:
        sampler: The loader's sampler; gives ``dataset`` and ``seed``.
        batch_size (int): Videos per batch and rank.
        num_pairs (int): Same-class pairs at the head of each batch
            (CO2-Net: 3).
        seed (int, optional): Overrides the sampler's seed; None takes the
            sampler's, or a seed shared by all ranks.
    """

    def __init__(self,
                 sampler,
                 batch_size: int,
                 num_pairs: int = 3,
                 seed: Optional[int] = None) -> None:
        if num_pairs < 0 or 2 * num_pairs > batch_size:
            raise ValueError(
                f'ClassPairBatchSampler: num_pairs={num_pairs} pairs need '
                f'0 <= 2 x num_pairs <= batch_size={batch_size}')
        self.sampler = sampler
        self.dataset = sampler.dataset
        self.batch_size = int(batch_size)
        self.num_pairs = int(num_pairs)
        if seed is None:
            seed = getattr(sampler, 'seed', None)
        self.seed = sync_random_seed() if seed is None else int(seed)
        self.rank, self.world_size = get_dist_info()
        labels = video_labels(self.dataset)
        self.num_videos = labels.shape[0]
        # (K, M) videos of each eligible class, padded with -1
        sizes = labels.sum(0)
        eligible = np.flatnonzero(sizes >= 2)
        if self.num_pairs and eligible.size == 0:
            raise ValueError(
                f'ClassPairBatchSampler: no class of '
                f'{type(self.dataset).__name__} ({self.num_videos} videos) '
                'has 2 videos to pair; set num_pairs=0 or use '
                'InfiniteSampler')
        self.class_sizes = sizes[eligible]
        self.class_members = np.full(
            (eligible.size, int(self.class_sizes.max(initial=0))), -1)
        for row, c in enumerate(eligible):
            members = np.flatnonzero(labels[:, c])
            self.class_members[row, :members.size] = members
        self.classes = eligible

    def batch(self, index: int) -> List[int]:
        """The dataset indices of global batch ``index``."""
        rng = np.random.default_rng([self.seed, index])
        rows = rng.integers(self.classes.size, size=self.num_pairs)
        sizes = self.class_sizes[rows]
        # two distinct members: the second skips over the first
        first = rng.integers(sizes)
        second = rng.integers(sizes - 1)
        second += second >= first
        members = self.class_members[rows]
        picks = np.arange(self.num_pairs)
        pairs = np.stack([members[picks, first], members[picks, second]], 1)
        rest = rng.integers(self.num_videos,
                            size=self.batch_size - 2 * self.num_pairs)
        return np.concatenate([pairs.reshape(-1), rest]).tolist()

    def __iter__(self) -> Iterator[List[int]]:
        index = self.rank
        while True:
            yield self.batch(index)
            index += self.world_size

    def __len__(self) -> int:
        """Batches in one pass over the dataset (the stream is endless)."""
        return math.ceil(self.num_videos / self.batch_size)
