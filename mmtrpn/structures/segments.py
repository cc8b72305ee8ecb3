"""Segments on the snippet grid: runs, masks, seconds <-> snippets <->
resampled rows, tIoU.

A video's features are ``T`` snippets; snippet ``s`` spans
``[s * d, (s + 1) * d)`` seconds for the snippet duration ``d``. Segments in
snippets are half-open ``[first, last + 1)``; segments in seconds are
``[start, end]``.
"""
from typing import TYPE_CHECKING, Optional, Sequence, Tuple

import numpy as np

if TYPE_CHECKING:
    import torch

# I3D features: one snippet per 16 frames at 25 fps. The one fallback for a
# video whose snippet duration is not given.
DEFAULT_SNIPPET_DURATION = 16 / 25


def segments_array(pairs: Sequence[Sequence[float]]) -> np.ndarray:
    """(N, 2) float32 array of ``[start, end]`` pairs (N may be 0)."""
    return np.asarray(pairs, dtype=np.float32).reshape(-1, 2)


def find_runs(curve: np.ndarray,
              thresholds: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Maximal runs ``[s, e)`` with ``curve > thr`` for every threshold.

    Returns (starts, ends) int64 arrays ordered threshold-major, then by time
    (the order a per-threshold loop would produce them in).
    """
    above = curve[None, :] > thresholds[:, None]  # (n_thr, T)
    padded = np.zeros((above.shape[0], above.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = above
    step = np.diff(padded, axis=1)  # +1 at a run start, -1 one past its end
    # Row-major nonzero keeps starts and ends of each row paired in order.
    starts = np.nonzero(step == 1)[1]
    ends = np.nonzero(step == -1)[1]
    return starts.astype(np.int64), ends.astype(np.int64)


def mask_runs(mask: np.ndarray) -> np.ndarray:
    """(R, 2) [first, last + 1] snippet indices of runs of ``mask > 0.5``."""
    starts, ends = find_runs(
        np.asarray(mask, dtype=np.float64).reshape(-1), np.array([0.5]))
    return np.stack([starts, ends], axis=1)


def snippets_to_seconds(snippets, snippet_duration: float) -> np.ndarray:
    """Snippet boundaries (any shape) in seconds, float64."""
    return np.asarray(snippets, dtype=np.float64) * float(snippet_duration)


def seconds_to_snippets(seconds, snippet_duration: float) -> np.ndarray:
    """Times in seconds rounded to the nearest snippet boundary (float)."""
    return np.round(np.asarray(seconds) / snippet_duration)


def segments_to_snippet_mask(segments: 'torch.Tensor',
                             snippet_duration: float,
                             num_snippets: int,
                             snippet_indices: Optional['torch.Tensor'] = None,
                             device=None) -> 'torch.Tensor':
    """1 where a snippet overlaps a segment (e.g. the oracle proposal mask).

    Snippet ``s`` of the full video spans ``[s*d, (s+1)*d)`` seconds. With
    ``snippet_indices`` (training-time sampling), row ``t`` of the input is
    original snippet ``snippet_indices[t]``.

    Returns:
        Tensor: (num_snippets,) float 0/1.
    """
    import torch  # here: the evaluation tools read this module without it
    if snippet_indices is None:
        index = torch.arange(num_snippets, device=device)
    else:
        index = torch.as_tensor(snippet_indices, device=device).long()
        index = index[:num_snippets]
    start = index.double() * snippet_duration
    end = start + snippet_duration
    segments = torch.as_tensor(
        segments, dtype=torch.float64, device=device).reshape(-1, 2)
    if segments.numel() == 0:
        return torch.zeros(len(index), device=device)
    # strict overlap of [start, end) with [seg_start, seg_end]
    hit = (start[:, None] < segments[None, :, 1]) & (
        end[:, None] > segments[None, :, 0])
    return hit.any(dim=1).float()


def row_positions(data_sample, length: int,
                  device=None) -> 'torch.Tensor':
    """Original-snippet position of each input row, (length,) float64.

    Dynamic sampling gives fractional ``snippet_positions``; uniform
    sampling gives ``snippet_indices``; a full video is ``0 ... T - 1``.
    """
    import torch
    for key in ('snippet_positions', 'snippet_indices'):
        if key in data_sample:
            pos = torch.as_tensor(data_sample.get(key), device=device)
            return pos.double().reshape(-1)[:length]
    return torch.arange(length, device=device, dtype=torch.float64)


def segment_membership(positions: 'torch.Tensor', segments,
                       snippet_duration: float) -> 'torch.Tensor':
    """(T, K) bool: row ``t`` (snippet ``[p_t, p_t + 1)``) overlaps segment
    ``k`` (``[s, e]`` seconds)."""
    import torch
    seg = torch.as_tensor(segments, dtype=torch.float64,
                          device=positions.device).reshape(-1, 2)
    seg = seg / snippet_duration
    p = positions.double()[:, None]
    return (p < seg[None, :, 1]) & (p + 1 > seg[None, :, 0])


def rows_to_seconds(segments: np.ndarray, positions,
                    snippet_duration: float,
                    duration: Optional[float] = None) -> np.ndarray:
    """Map segments on resampled rows back to seconds of the video.

    ``segments`` are ``rows * snippet_duration`` (the post-processor's
    units); row ``t`` starts at original snippet ``positions[t]`` (fractional
    after dynamic sampling), and a row edge between two rows is placed by
    linear interpolation.
    """
    # here: the evaluation tools read this module without torch
    from .wstal_data_sample import as_numpy
    segments = np.asarray(segments, dtype=np.float64).reshape(-1, 2)
    pos = as_numpy(positions).astype(np.float64).reshape(-1)
    if segments.size == 0 or pos.size == 0:
        return segments
    step = pos[-1] - pos[-2] if pos.size > 1 else 1.0
    edges = np.append(pos, pos[-1] + max(step, 1e-6))
    rows = segments / snippet_duration
    out = np.interp(rows, np.arange(edges.size), edges) * snippet_duration
    if duration is not None:
        out = np.minimum(out, float(duration))
    return out


def pair_tiou(ps, pe, gs, ge):
    """Element-wise (broadcast) tIoU of ``[ps, pe]`` and ``[gs, ge]``; 0
    where the union is empty."""
    # Same operation order as the official ActivityNet ``segment_iou`` so
    # that values on a threshold compare identically.
    inter = np.clip(np.minimum(pe, ge) - np.maximum(ps, gs), 0, None)
    union = (ge - gs) + (pe - ps) - inter
    with np.errstate(divide='ignore', invalid='ignore'):
        tiou = inter / union
    return np.where(union > 0, tiou, 0.0)


def segment_tiou(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Temporal IoU of every prediction with every ground truth.

    Args:
        pred (np.ndarray): (N, 2) [start, end].
        gt (np.ndarray): (M, 2) [start, end].

    Returns:
        np.ndarray: (N, M) float64 tIoU; 0 where the union is empty.
    """
    pred = np.asarray(pred, dtype=np.float64).reshape(-1, 2)
    gt = np.asarray(gt, dtype=np.float64).reshape(-1, 2)
    return pair_tiou(pred[:, None, 0], pred[:, None, 1], gt[None, :, 0],
                     gt[None, :, 1])
