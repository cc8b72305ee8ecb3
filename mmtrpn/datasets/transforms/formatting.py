"""Packing of pipeline results into model inputs and data samples."""
from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import BaseDataElement

from mmtrpn.registry import TRANSFORMS

# Data fields copied into the data sample, with their tensor dtype.
_FIELDS = (('label', 'gt_label', torch.float32),
           ('gt_segments', 'gt_segments', torch.float32),
           ('gt_labels', 'gt_labels', torch.int64),
           ('ambiguous_segments', 'ambiguous_segments', torch.float32),
           ('snippet_indices', 'snippet_indices', torch.int64),
           # previous-stage pseudo segments (ASM-Loc refinement steps)
           ('pseudo_segments', 'pseudo_segments', torch.float32),
           ('pseudo_labels', 'pseudo_labels', torch.int64),
           ('pseudo_scores', 'pseudo_scores', torch.float32),
           ('attention_segments', 'attention_segments', torch.float32),
           ('snippet_positions', 'snippet_positions', torch.float64))


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
        sample = BaseDataElement()
        meta = {k: results[k] for k in self.meta_keys if k in results}
        meta['feature_dims'] = (int(rgb.shape[1]), int(flow.shape[1]))
        sample.set_metainfo(meta)
        for src, dst, dtype in _FIELDS:
            if src in results:
                value = torch.as_tensor(np.asarray(results[src]), dtype=dtype)
                if dst.endswith('segments'):
                    value = value.reshape(-1, 2)
                sample.set_data({dst: value})
        return dict(inputs=inputs, data_samples=sample)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(meta_keys={self.meta_keys})'
