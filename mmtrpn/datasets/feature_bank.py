"""The feature bank: every training video's features in one tensor.

The file loader (``LoadSnippetFeatures`` -> ``SampleSnippets`` ->
``PackWSTALInputs``) reads two ``.npy`` files per video per step. The bank
reads them once, with the same checks, into a packed ``(N, D_rgb + D_flow)``
float32 tensor (``N`` = snippets of all videos) with per-video ``starts``
and ``lengths``; the training loader then yields only video indices and
:class:`~mmtrpn.datasets.feature_bank_preprocessor.FeatureBankPreprocessor`
samples and gathers a batch on the training device in a few torch ops.

Switch it on with the top-level config key ``feature_bank = True``
(``--cfg-options feature_bank=True``); :func:`enable_feature_bank` applies
it. docs/feature_bank.md says when to use which path.
"""
import copy
from typing import List, Optional, Sequence

import numpy as np
import torch
from mmengine.logging import print_log

from mmtrpn.registry import DATASETS
from mmtrpn.utils.fileio import npy_shape
from .transforms.loading import LoadSnippetFeatures, check_same_length
from .transforms.sampling import SampleSnippets
from .wstal_dataset import WSTALFeatureDataset

# The one training pipeline the bank replaces (by transform type).
BANK_PIPELINE = ('LoadSnippetFeatures', 'SampleSnippets', 'PackWSTALInputs')
BANK_HOOK = 'FeatureBankHook'
BANK_PREPROCESSOR = 'FeatureBankPreprocessor'


def bank_bytes(data_list: Sequence[dict]) -> int:
    """float32 bytes the bank will hold, from the files' headers: sum over
    videos of ``T_i x (D_rgb + D_flow) x 4``."""
    total = 0
    for info in data_list:
        rgb, flow = npy_shape(info['rgb_path']), npy_shape(info['flow_path'])
        if rgb and flow and len(rgb) == 2 and len(flow) == 2:
            total += rgb[0] * (rgb[1] + flow[1]) * 4
    return total


def bin_indices(lengths: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
    """Per-row ``uniform_bin_indices``: (B,) lengths, (B, K) offsets in
    [0, 1) -> (B, K) int64 indices.

    Row ``b``, bin ``k``: ``floor(e_k + u_bk (e_{k+1} - e_k))`` clipped to
    ``[0, L_b - 1]``, with edges ``e_k = k L_b / K``, in float64 and the
    same operation order as the numpy function, so equal offsets give equal
    indices.
    """
    num = offsets.shape[1]
    length = lengths.to(torch.float64).unsqueeze(1)
    edges = torch.arange(num + 1, dtype=torch.float64,
                         device=lengths.device) * (length / num)
    lo = edges[:, :-1]
    width = edges[:, 1:] - lo
    idx = torch.floor(lo + offsets.to(torch.float64) * width).long()
    return torch.minimum(idx.clamp_min(0), lengths.unsqueeze(1) - 1)


class FeatureBank:
    """Packed features of a split and the per-video facts a batch needs.

    Attributes:
        features (Tensor): (N, D_rgb + D_flow) float32, RGB columns first.
        starts (Tensor): (V,) int64 first row of each video.
        lengths (Tensor): (V,) int64 snippets T_i of each video.
        labels (Tensor): (V, C) float32 multi-hot video labels.
        infos (list[dict]): per video, the data_info fields the data
            samples carry (metainfo and ground truth).
        feature_dims (tuple): (D_rgb, D_flow).
    """

    def __init__(self, features, starts, lengths, labels, infos,
                 feature_dims):
        self.features = features
        self.starts = starts
        self.lengths = lengths
        self.labels = labels
        self.infos = infos
        self.feature_dims = tuple(feature_dims)

    @classmethod
    def load(cls, data_list: Sequence[dict],
             loader: LoadSnippetFeatures) -> 'FeatureBank':
        """Read and check every video's files as ``loader`` does."""
        if not data_list:
            raise ValueError('The feature bank needs at least one video.')
        total = bank_bytes(data_list)
        features = None
        starts, lengths, row = [], [], 0
        for info in data_list:
            video = info['video_name']
            dims = loader.rgb_dim, loader.flow_dim
            fallback = info.get('feature_dims') or (None, None)
            dims = tuple(d if d is not None else f
                         for d, f in zip(dims, fallback))
            rgb = loader._load(info['rgb_path'], video, 'rgb', dims[0])
            flow = loader._load(info['flow_path'], video, 'flow', dims[1])
            check_same_length(rgb, flow, video, f' ({info["rgb_path"]})',
                              f' ({info["flow_path"]})')
            width = rgb.shape[1] + flow.shape[1]
            if features is None:
                feature_dims = (rgb.shape[1], flow.shape[1])
                # sized from the headers; grown if a file's header lied
                features = torch.empty(max(total // (4 * width), 1), width)
            elif (rgb.shape[1], flow.shape[1]) != feature_dims:
                raise ValueError(
                    f'video {video} ({info["rgb_path"]}) has feature widths '
                    f'{(rgb.shape[1], flow.shape[1])}, the bank holds '
                    f'{feature_dims} (set feature_dims in the config to '
                    'check every file)')
            end = row + rgb.shape[0]
            if end > features.shape[0]:
                features = torch.cat(
                    [features, torch.empty(end - features.shape[0], width)])
            features[row:end, :rgb.shape[1]] = torch.from_numpy(rgb)
            features[row:end, rgb.shape[1]:] = torch.from_numpy(flow)
            starts.append(row)
            lengths.append(rgb.shape[0])
            row = end
        labels = torch.from_numpy(
            np.stack([np.asarray(i['label'], np.float32) for i in data_list]))
        return cls(features[:row], torch.tensor(starts), torch.tensor(lengths),
                   labels, [sample_fields(i) for i in data_list],
                   feature_dims)

    @property
    def num_videos(self) -> int:
        return len(self.infos)

    @property
    def device(self) -> torch.device:
        return self.features.device

    def nbytes(self) -> int:
        return self.features.numel() * self.features.element_size()

    def to(self, device, pin_memory: bool = False) -> 'FeatureBank':
        """The bank on ``device``; ``pin_memory`` pins host tensors (for
        asynchronous copies of gathered batches to a GPU)."""
        moved = [t.to(device) for t in (self.features, self.starts,
                                         self.lengths, self.labels)]
        if pin_memory and torch.device(device).type == 'cpu':
            moved = [t.pin_memory() for t in moved]
        return FeatureBank(*moved, self.infos, self.feature_dims)

    def sample(self, videos: torch.Tensor, num_snippets: int,
               generator: Optional[torch.Generator] = None,
               random: bool = True):
        """``SampleSnippets`` for a batch of videos, vectorised.

        Args:
            videos (Tensor): (B,) int64 video indices, on the bank's device.
            num_snippets (int): K snippets per video.
            generator (torch.Generator, optional): Source of the offsets
                (on the bank's device).
            random (bool): Random offset per bin; False takes bin centres.

        Returns:
            tuple: features (B, K, D) float32 and snippet indices (B, K).
        """
        lengths = self.lengths[videos]
        shape = (videos.numel(), num_snippets)
        if random:
            offsets = torch.rand(shape, generator=generator,
                                 dtype=torch.float64, device=self.device)
        else:
            offsets = torch.full(shape, 0.5, dtype=torch.float64,
                                 device=self.device)
        idx = bin_indices(lengths, offsets)
        rows = (self.starts[videos].unsqueeze(1) + idx).reshape(-1)
        feats = self.features.index_select(0, rows)
        return feats.view(*shape, -1), idx


# Fields of a data_info that the data samples carry (as PackWSTALInputs
# does): metainfo, then ground truth (the label vector is ``labels``).
SAMPLE_META = ('video_name', 'duration', 'snippet_duration')
SAMPLE_GT = ('gt_segments', 'gt_labels', 'ambiguous_segments')


def sample_fields(info: dict) -> dict:
    return {k: copy.deepcopy(info[k])
            for k in SAMPLE_META + SAMPLE_GT if k in info}


@DATASETS.register_module()
class WSTALFeatureBankDataset(WSTALFeatureDataset):
    """``WSTALFeatureDataset`` whose items are video indices into a
    :class:`FeatureBank` loaded at start.

    Takes the same arguments, and the same training ``pipeline``, which
    must be ``LoadSnippetFeatures`` -> ``SampleSnippets`` ->
    ``PackWSTALInputs``: the bank checks files with the first (its widths)
    and samples as the second (``num_snippets``, ``random``); the pipeline
    itself never runs. Each item is ``{'bank_index': i}``; the model's
    ``FeatureBankPreprocessor`` does the rest.
    """

    def __init__(self, *args, pipeline: List[dict] = (), **kwargs) -> None:
        self.loader, self.sampling = parse_bank_pipeline(pipeline)
        self.bank = None
        super().__init__(*args, pipeline=[], **kwargs)

    def full_init(self) -> None:
        if self._fully_initialized:
            return
        super().full_init()
        infos = [self.get_data_info(i) for i in range(len(self))]
        estimate = bank_bytes(infos)
        print_log(
            f'Feature bank: {len(infos)} videos, about '
            f'{estimate / 2**30:.2f} GiB of float32 features '
            f'({self.data_root or "."}); loading once...', logger='current')
        self.bank = FeatureBank.load(infos, self.loader)
        print_log(
            f'Feature bank: {self.bank.features.shape[0]} snippets x '
            f'{self.bank.features.shape[1]} features = '
            f'{self.bank.nbytes() / 2**30:.2f} GiB loaded', logger='current')

    def prepare_data(self, idx) -> dict:
        return dict(bank_index=int(idx))

    @property
    def num_snippets(self) -> int:
        return self.sampling['num_snippets']

    @property
    def random(self) -> bool:
        return self.sampling['random']


def _transform_type(t) -> str:
    return t.get('type') if isinstance(t, dict) else type(t).__name__


def parse_bank_pipeline(pipeline):
    """The loader and sampling arguments of a bank-compatible pipeline."""
    types = tuple(_transform_type(t) for t in pipeline)
    if types != BANK_PIPELINE:
        raise ValueError(
            'The feature bank replaces the training pipeline '
            f'{list(BANK_PIPELINE)}; this config has {list(types)}. Turn '
            'feature_bank off for it (pipelines with other transforms, e.g. '
            "ASM-Loc's refinement steps, need the file loader).")
    load, sample, pack = pipeline
    if isinstance(load, dict):
        load = LoadSnippetFeatures(
            **{k: v for k, v in load.items() if k != 'type'})
    if isinstance(sample, dict):
        args = {k: v for k, v in sample.items() if k != 'type'}
        sample = SampleSnippets(**args)
    meta_keys = pack.get('meta_keys') if isinstance(pack, dict) else None
    if meta_keys is not None and set(meta_keys) - set(SAMPLE_META) - {
            'num_snippets'}:
        raise ValueError(f'PackWSTALInputs meta_keys {meta_keys} go beyond '
                         f'what the feature bank carries ({list(SAMPLE_META)})')
    return load, dict(num_snippets=sample.num_snippets, random=sample.random)


def enable_feature_bank(cfg) -> None:
    """Switch a merged config's training data path to the feature bank.

    Sets the train dataset type, loads in the main process (no workers),
    swaps the model's ``BaseDataPreprocessor`` for the bank's and adds the
    hook that hands the bank to it. Validation and test keep the file
    loader (whole videos, one per batch).
    """
    loader = cfg.train_dataloader
    parse_bank_pipeline(loader.dataset.get('pipeline', []))
    if loader.dataset.get('type') not in ('WSTALFeatureDataset',
                                          'WSTALFeatureBankDataset'):
        raise ValueError('feature_bank needs a WSTALFeatureDataset training '
                         f'set, got {loader.dataset.get("type")}')
    loader.dataset.type = 'WSTALFeatureBankDataset'
    loader.num_workers = 0
    loader.persistent_workers = False
    loader.pin_memory = False
    pre = cfg.model.get('data_preprocessor') or dict(
        type='BaseDataPreprocessor')
    if pre.get('type') not in ('BaseDataPreprocessor', BANK_PREPROCESSOR):
        raise ValueError(f'feature_bank replaces BaseDataPreprocessor; the '
                         f'model has {pre.get("type")}')
    cfg.model.data_preprocessor = dict(pre, type=BANK_PREPROCESSOR)
    hooks = list(cfg.get('custom_hooks', []))
    if not any(h.get('type') == BANK_HOOK for h in hooks):
        hooks.append(dict(type=BANK_HOOK))
    cfg.custom_hooks = hooks


__all__ = [
    'FeatureBank', 'WSTALFeatureBankDataset', 'bin_indices', 'bank_bytes',
    'enable_feature_bank', 'parse_bank_pipeline'
]
