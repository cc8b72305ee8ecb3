"""Packing of pipeline results into model inputs and data samples."""
from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform

from mmtrpn.registry import TRANSFORMS
from mmtrpn.structures.wstal_data_sample import WSTALDataSample

# Pipeline keys copied into the data sample, and their field names there
# (the sample gives each field its dtype and shape).
_FIELDS = (('label', 'gt_label'), ('gt_segments', 'gt_segments'),
           ('gt_labels', 'gt_labels'),
           ('ambiguous_segments', 'ambiguous_segments'),
           ('snippet_indices', 'snippet_indices'),
           # previous-stage pseudo segments (ASM-Loc refinement steps)
           ('pseudo_segments', 'pseudo_segments'),
           ('pseudo_labels', 'pseudo_labels'),
           ('pseudo_scores', 'pseudo_scores'),
           ('attention_segments', 'attention_segments'),
           ('snippet_positions', 'snippet_positions'))


@TRANSFORMS.register_module()
class PackWSTALInputs(BaseTransform):
    """Pack features as ``inputs`` (T, D_rgb + D_flow) and a data sample.

    ``inputs`` concatenates RGB then flow columns. The data sample holds
    ``meta_keys`` (plus ``feature_dims``) as metainfo and the ground truth
    as tensors.
    """

    def __init__(self,
                 meta_keys: Sequence[str] = ('video_name', 'duration',
                                             'snippet_duration',
                                             'num_snippets')) -> None:
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        rgb, flow = results['rgb'], results['flow']
        inputs = torch.from_numpy(
            np.concatenate([rgb, flow], axis=1).astype(np.float32,
                                                       copy=False))
        sample = WSTALDataSample()
        meta = {k: results[k] for k in self.meta_keys if k in results}
        meta['feature_dims'] = (int(rgb.shape[1]), int(flow.shape[1]))
        sample.set_metainfo(meta)
        sample.set_data(
            {dst: results[src]
             for src, dst in _FIELDS if src in results})
        return dict(inputs=inputs, data_samples=sample)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(meta_keys={self.meta_keys})'
