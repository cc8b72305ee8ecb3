"""Loading of per-video snippet features."""
import os.path as osp
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform

from mmtrpn.registry import TRANSFORMS
from mmtrpn.utils.fileio import load_npy
from ..io import DATA_DOC


@TRANSFORMS.register_module()
class LoadSnippetFeatures(BaseTransform):
    """Load ``rgb_path`` and ``flow_path`` as float32 (T, D) arrays.

    Adds ``rgb``, ``flow`` and ``num_snippets`` (T). Every check raises an
    error naming the file and the video, so a bad feature file is found
    without a debugger.

    Args:
        rgb_dim (int, optional): Expected RGB width; unchecked if None.
        flow_dim (int, optional): Expected flow width; unchecked if None.
    """

    def __init__(self,
                 rgb_dim: Optional[int] = None,
                 flow_dim: Optional[int] = None) -> None:
        self.rgb_dim = rgb_dim
        self.flow_dim = flow_dim

    @staticmethod
    def _load(path: str, video: str, modality: str,
              dim: Optional[int]) -> np.ndarray:
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'Missing {modality} features of video {video}: {path}. '
                f'See {DATA_DOC}.')
        feat = load_npy(path, f'{modality} features of video {video}')
        if not isinstance(feat, np.ndarray) or feat.ndim != 2:
            shape = getattr(feat, 'shape', None)
            raise ValueError(
                f'{modality} features of video {video} in {path} must be '
                f'2-D (T, D), got shape {shape}.')
        if feat.shape[0] == 0:
            raise ValueError(f'{modality} features of video {video} in '
                             f'{path} have zero snippets.')
        if dim is not None and feat.shape[1] != dim:
            raise ValueError(
                f'{modality} features of video {video} in {path} have width '
                f'{feat.shape[1]}, expected {modality}_dim={dim}.')
        if not np.issubdtype(feat.dtype, np.number) or np.issubdtype(
                feat.dtype, np.complexfloating):
            raise ValueError(f'{modality} features of video {video} in '
                             f'{path} have non-real dtype {feat.dtype}.')
        feat = feat.astype(np.float32, copy=False)
        if not np.isfinite(feat).all():
            bad = int((~np.isfinite(feat)).any(axis=1).sum())
            raise ValueError(
                f'{modality} features of video {video} in {path} contain '
                f'NaN or Inf in {bad} snippet(s).')
        return feat

    def transform(self, results: dict) -> dict:
        video = results.get('video_name', '?')
        rgb = self._load(results['rgb_path'], video, 'rgb', self.rgb_dim)
        flow = self._load(results['flow_path'], video, 'flow', self.flow_dim)
        if rgb.shape[0] != flow.shape[0]:
            raise ValueError(
                f'RGB and flow lengths differ for video {video}: '
                f'{rgb.shape[0]} ({results["rgb_path"]}) vs {flow.shape[0]} '
                f'({results["flow_path"]}).')
        results['rgb'] = rgb
        results['flow'] = flow
        results['num_snippets'] = int(rgb.shape[0])
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(rgb_dim={self.rgb_dim}, '
                f'flow_dim={self.flow_dim})')
