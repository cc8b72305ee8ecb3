"""The data sample of one video, from ``PackWSTALInputs`` to the metric.

Field names, shapes and types are the data contract of
docs/architecture.md. Each field is a typed property (as MMAction2's
``ActionDataSample``): whatever is assigned is stored as a tensor of the
contract's dtype and shape, so the model, the metric and the figures read
one thing. Ground truth and predictions are also readable as instance data
(``gt_instances``, ``pred_instances``), and :func:`to_detections` is the one
conversion to numpy, for a sample or the dict the Evaluator hands over.
"""
from typing import Union

import numpy as np
import torch
from mmengine.structures import BaseDataElement, InstanceData

# field: (dtype, trailing shape); () means a flat (N,) vector. The curves
# keep the model's float dtype (None), the cas its (T, C) shape.
FIELDS = {
    'gt_label': (torch.float32, ()),
    'gt_segments': (torch.float32, (2, )),
    'gt_labels': (torch.int64, ()),
    'ambiguous_segments': (torch.float32, (2, )),
    'snippet_indices': (torch.int64, ()),
    # previous-stage pseudo segments (ASM-Loc refinement steps)
    'pseudo_segments': (torch.float32, (2, )),
    'pseudo_labels': (torch.int64, ()),
    'pseudo_scores': (torch.float32, ()),
    'attention_segments': (torch.float32, (2, )),
    'snippet_positions': (torch.float64, ()),
    'pred_segments': (torch.float32, (2, )),
    'pred_labels': (torch.int64, ()),
    'pred_scores': (torch.float32, ()),
    'video_scores': (None, ()),
    'fg_curve': (None, ()),
    'proposal_mask': (None, ()),
    'cas': (None, None),
}

# to_detections: numpy dtype of each field (float64 where scores and times
# are compared, lossless from float32).
_NUMPY_DTYPES = {
    'gt_segments': np.float64,
    'gt_labels': np.int64,
    'ambiguous_segments': np.float64,
    'pred_segments': np.float64,
    'pred_labels': np.int64,
    'pred_scores': np.float64,
}


def _as_field_tensor(name: str, value) -> torch.Tensor:
    dtype, tail = FIELDS[name]
    tensor = torch.as_tensor(
        value.detach() if isinstance(value, torch.Tensor) else np.asarray(
            value),
        dtype=dtype)
    if tail is None:
        return tensor
    return tensor.reshape((-1, ) + tail)


def _field_property(name: str) -> property:
    private = '_' + name

    def getter(self):
        return getattr(self, private)

    def setter(self, value):
        self.set_field(_as_field_tensor(name, value), private)

    def deleter(self):
        delattr(self, private)

    dtype = FIELDS[name][0]
    return property(getter, setter, deleter,
                    f'``{name}`` as a {dtype or "float"} tensor.')


class WSTALDataSample(BaseDataElement):
    """One video: metainfo (``video_name``, ``duration``,
    ``snippet_duration``, ``num_snippets``, ``feature_dims``), ground truth
    (``gt_label``, ``gt_segments``, ``gt_labels``, ``ambiguous_segments``)
    and predictions (``pred_segments``, ``pred_labels``, ``pred_scores``,
    ``video_scores``, ``fg_curve``, ``cas``, ``proposal_mask``)."""

    @property
    def gt_instances(self) -> InstanceData:
        """Ground-truth segments (seconds) and labels as instance data."""
        return InstanceData(segments=self.gt_segments, labels=self.gt_labels)

    @property
    def pred_instances(self) -> InstanceData:
        """Detections (seconds), labels and scores as instance data."""
        return InstanceData(
            segments=self.pred_segments,
            labels=self.pred_labels,
            scores=self.pred_scores)

    def to_detections(self) -> dict:
        return to_detections(self)


for _name in FIELDS:
    setattr(WSTALDataSample, _name, _field_property(_name))
del _name


def as_numpy(value) -> np.ndarray:
    """A numpy array of ``value``; a tensor is first brought to the CPU
    (data samples keep theirs on the model's device)."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def to_detections(sample: Union[BaseDataElement, dict]) -> dict:
    """A data sample (or its ``to_dict()``) as a plain dict of numpy arrays.

    Metainfo and other entries are copied; every contract field present is
    converted: segments to (N, 2), labels to int64, segments and scores to
    float64 (exact for float32 input), curves kept in their dtype.
    """
    if not isinstance(sample, dict):
        sample = sample.to_dict()
    out = {k: v for k, v in sample.items() if k not in FIELDS}
    for key in FIELDS:
        value = sample.get(key)
        if value is None:
            continue
        arr = as_numpy(value)
        if key in _NUMPY_DTYPES:
            arr = arr.astype(_NUMPY_DTYPES[key], copy=False)
        tail = FIELDS[key][1]
        if tail is not None:
            arr = arr.reshape((-1, ) + tail)
        out[key] = arr
    return out
