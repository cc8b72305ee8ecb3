"""Loading of per-video snippet features."""
import os.path as osp
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform

from mmtrpn.registry import TRANSFORMS
from mmtrpn.structures.annotations import DATA_DOC
from mmtrpn.utils.fileio import load_npy


def check_features(feat, video: str, modality: str, where: str = '',
                   dim: Optional[int] = None) -> np.ndarray:
    """A (T, D) real, finite feature array as float32, else ValueError.

    ``where`` (e.g. `` in <file>``) follows the video in the messages.
    """
    if not isinstance(feat, np.ndarray) or feat.ndim != 2:
        shape = getattr(feat, 'shape', None)
        raise ValueError(
            f'{modality} features of video {video}{where} must be '
            f'2-D (T, D), got shape {shape}.')
    if feat.shape[0] == 0:
        raise ValueError(f'{modality} features of video {video}{where} '
                         'have zero snippets.')
    if dim is not None and feat.shape[1] != dim:
        raise ValueError(
            f'{modality} features of video {video}{where} have width '
            f'{feat.shape[1]}, expected {modality}_dim={dim}.')
    if not np.issubdtype(feat.dtype, np.number) or np.issubdtype(
            feat.dtype, np.complexfloating):
        raise ValueError(f'{modality} features of video {video}{where} '
                         f'have non-real dtype {feat.dtype}.')
    feat = feat.astype(np.float32, copy=False)
    if not np.isfinite(feat).all():
        bad = int((~np.isfinite(feat)).any(axis=1).sum())
        raise ValueError(
            f'{modality} features of video {video}{where} contain '
            f'NaN or Inf in {bad} snippet(s).')
    return feat


def check_same_length(rgb: np.ndarray, flow: np.ndarray, video: str,
                      rgb_where: str = '', flow_where: str = '') -> None:
    if rgb.shape[0] != flow.shape[0]:
        raise ValueError(
            f'RGB and flow lengths differ for video {video}: '
            f'{rgb.shape[0]}{rgb_where} vs {flow.shape[0]}{flow_where}.')


@TRANSFORMS.register_module()
class LoadSnippetFeatures(BaseTransform):
    """Load ``rgb_path`` and ``flow_path`` as float32 (T, D) arrays.

    Adds ``rgb``, ``flow`` and ``num_snippets`` (T). Every check raises an
    error naming the file and the video, so a bad feature file is found
    without a debugger.

    Args:
        rgb_dim (int, optional): Expected RGB width. Defaults to the
            ``feature_dims`` of the data_info (set by the dataset from the
            config); unchecked without either.
        flow_dim (int, optional): Expected flow width, the same way.
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
        return check_features(feat, video, modality, f' in {path}', dim)

    def transform(self, results: dict) -> dict:
        video = results.get('video_name', '?')
        rgb_dim, flow_dim = results.get('feature_dims') or (None, None)
        if self.rgb_dim is not None:
            rgb_dim = self.rgb_dim
        if self.flow_dim is not None:
            flow_dim = self.flow_dim
        rgb = self._load(results['rgb_path'], video, 'rgb', rgb_dim)
        flow = self._load(results['flow_path'], video, 'flow', flow_dim)
        check_same_length(rgb, flow, video, f' ({results["rgb_path"]})',
                          f' ({results["flow_path"]})')
        results['rgb'] = rgb
        results['flow'] = flow
        results['num_snippets'] = int(rgb.shape[0])
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(rgb_dim={self.rgb_dim}, '
                f'flow_dim={self.flow_dim})')
