"""Pseudo action segments of a previous training stage (ASM-Loc refinement).

A stage's ``PseudoSegmentExportHook`` writes one JSON file (format and
checks: ``structures.annotations.load_pseudo_segments``). The next stage's
pipelines load it with
:class:`LoadPseudoSegments` and may resample the video with
:class:`DynamicSegmentSampling`.
"""
import os.path as osp
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform

from mmtrpn.registry import TRANSFORMS
from mmtrpn.structures.annotations import (PSEUDO_SEGMENT_HINT,
                                           check_snippet_duration,
                                           load_pseudo_segments)
from .sampling import uniform_bin_indices


def remove_nested(segments: np.ndarray) -> np.ndarray:
    """Unique segments, in start order, without those inside another one.

    ASM-Loc's rule: walking by start time, a segment is dropped when the
    last kept one ends at or after its end.
    """
    segments = np.unique(np.asarray(segments, np.float64).reshape(-1, 2),
                         axis=0)  # sorted by start, then end
    kept, last_end = [], -np.inf
    for start, end in segments:
        if kept and last_end >= end:
            continue
        kept.append((start, end))
        last_end = end
    return np.asarray(kept, np.float64).reshape(-1, 2)


def expand_segments(segments: np.ndarray, delta: float) -> np.ndarray:
    """Grow each segment by ``delta`` of its length on both sides."""
    segments = np.asarray(segments, np.float64).reshape(-1, 2)
    mid = segments.mean(1)
    half = (delta + 0.5) * (segments[:, 1] - segments[:, 0])
    return np.stack([mid - half, mid + half], 1)


@TRANSFORMS.register_module()
class LoadPseudoSegments(BaseTransform):
    """Add the previous stage's pseudo segments of the video.

    Adds ``pseudo_segments`` (N, 2) seconds, ``pseudo_labels`` (N,),
    ``pseudo_scores`` (N,): the segments of the video's classes (ground-truth
    classes with ``use_gt_labels``, training videos; else the classes the
    previous stage predicted, test videos), best first per class; and
    ``attention_segments`` (M, 2) seconds: the unique, non-nested ones grown
    by ``delta`` of their length per side (the segments of the intra- and
    inter-segment attention), at most ``max_segments``. The file's class
    count and snippet duration must be the video's.

    Args:
        segment_file (str): The previous stage's JSON file.
        use_gt_labels (bool): Keep segments of the ground-truth classes
            (training) instead of the predicted ones (test).
        delta (float): Growth of the attention segments (0.5 THUMOS-14, 0
            ActivityNet-1.2).
        max_segments (int): Cap on attention segments (200 / 100).
    """

    def __init__(self,
                 segment_file: Optional[str] = None,
                 use_gt_labels: bool = True,
                 delta: float = 0.5,
                 max_segments: int = 200) -> None:
        if not segment_file:
            raise ValueError(
                'LoadPseudoSegments needs segment_file: the pseudo segments '
                'of the previous refinement step.' + PSEUDO_SEGMENT_HINT)
        data = load_pseudo_segments(segment_file)
        self.segment_file = segment_file
        self.classes = data['classes']
        self.snippet_duration = data['snippet_duration']
        self.results = data['results']
        self.use_gt_labels = use_gt_labels
        self.delta = float(delta)
        self.max_segments = int(max_segments)

    def _video_segments(self, results: dict):
        video = results.get('video_name', '?')
        source = f'pseudo-segment file {self.segment_file}'
        if video not in self.results:
            raise KeyError(f'video {video} has no entry in {source}: was it '
                           'written for this dataset and subset?')
        if 'label' in results and len(results['label']) != len(
                self.classes):
            raise ValueError(
                f'{source} has {len(self.classes)} classes, video {video} '
                f'has labels of {len(results["label"])}')
        if 'snippet_duration' in results:
            check_snippet_duration(self.snippet_duration,
                                   results['snippet_duration'], source,
                                   video)
        return self.results[video]

    def transform(self, results: dict) -> dict:
        seg, lab, score = self._video_segments(results)
        if self.use_gt_labels:
            keep = np.asarray(results['label'])[lab] > 0 if len(lab) else \
                np.zeros(0, bool)
            seg, lab, score = seg[keep], lab[keep], score[keep]
        order = np.lexsort((-score, lab))  # per class, best first
        seg, lab, score = seg[order], lab[order], score[order]
        results['pseudo_segments'] = seg.astype(np.float32)
        results['pseudo_labels'] = lab
        results['pseudo_scores'] = score.astype(np.float32)
        results['pseudo_segment_delta'] = self.delta
        attention = expand_segments(remove_nested(seg), self.delta)
        results['attention_segments'] = attention[:self.max_segments].astype(
            np.float32)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(segment_file='
                f'{osp.basename(self.segment_file)!r}, use_gt_labels='
                f'{self.use_gt_labels}, delta={self.delta})')


def dynamic_segment_weights(num_snippets: int, segments: np.ndarray,
                            labels: np.ndarray, scores: np.ndarray,
                            snippet_duration: float, alpha: float,
                            gamma: float, delta: float) -> np.ndarray:
    """ASM-Loc's per-snippet sampling weights (T,), >= 1.

    Per class, the best segments whose cumulative score stays within
    ``alpha`` of the class total are kept and grown by ``delta``; a kept
    segment of at most ``U = gamma (2 delta + 1)`` snippets raises its
    snippets' weight to ``min(U / length, U)``; each run of raised snippets
    is rescaled so that its total is its rounded total.
    """
    weights = np.ones(num_snippets, np.float64)
    kept = []
    for c in np.unique(labels):
        idx = np.nonzero(labels == c)[0]
        idx = idx[np.argsort(-scores[idx], kind='stable')]
        cum = np.cumsum(scores[idx])
        kept.append(idx[cum <= cum[-1] * alpha])
    if not kept:
        return weights
    kept = np.concatenate(kept)
    grown = expand_segments(segments[kept], delta) / snippet_duration
    start = np.maximum(np.round(grown[:, 0]), 0).astype(np.int64)
    end = np.minimum(np.round(grown[:, 1]), num_snippets - 1).astype(np.int64)
    upscale = gamma * (2 * delta + 1)
    for s, e in zip(start, end):
        length = e - s + 1
        if s < e and length <= upscale:
            weights[s:e + 1] = np.maximum(weights[s:e + 1],
                                          min(upscale / length, upscale))
    raised = weights > 1
    if raised.any():
        edges = np.diff(np.concatenate([[0], raised.astype(np.int8), [0]]))
        for s, e in zip(np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0]):
            total = weights[s:e].sum()
            weights[s:e] *= np.round(total) / total
    return weights


def dynamic_positions(weights: np.ndarray) -> np.ndarray:
    """Original-snippet positions of the resampled rows.

    With ``c`` the cumulative weights (``c_0 = 0``), row ``m = 1 ... M``
    (``M = round(c_T)``) sits where ``c`` reaches ``m``, minus one snippet
    (ASM-Loc interpolates features given at 1 ... T). Uniform weights give
    positions ``0 ... T - 1``.
    """
    cum = np.concatenate([[0.], np.cumsum(weights)])
    rows = np.arange(1, int(np.round(cum[-1])) + 1, dtype=np.float64)
    return np.interp(rows, cum, np.arange(cum.size, dtype=np.float64)) - 1


def interpolate_rows(feat: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Linear interpolation of (T, D) features at fractional rows."""
    pos = np.clip(positions, 0, feat.shape[0] - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, feat.shape[0] - 1)
    frac = (pos - lo)[:, None].astype(feat.dtype)
    return feat[lo] * (1 - frac) + feat[hi] * frac


@TRANSFORMS.register_module()
class DynamicSegmentSampling(BaseTransform):
    """ASM-Loc's dynamic segment sampling: short pseudo segments are
    upsampled so that they span more rows.

    Needs :class:`LoadPseudoSegments` before it. Replaces ``rgb`` and
    ``flow`` by the resampled rows and adds ``snippet_positions`` (float,
    original snippet of each row) and ``snippet_indices`` (its floor); the
    model maps its predictions back to seconds through the positions.

    Args:
        num_snippets (int, optional): Rows kept after resampling, one per
            uniform bin (random in the bin when ``random``). None keeps every
            resampled row.
        only_longer (bool): Reduce only videos longer than
            ``num_snippets`` and keep shorter ones whole (ASM-Loc's test
            sampling, which bounds the T x T segment attention).
        alpha (float): Share of each class's total segment score kept (0.7
            THUMOS-14, 0.3 ActivityNet-1.2).
        gamma (float): Upsampling scale ``gamma`` (6 / 10).
        random (bool): Random index per bin.
    """

    def __init__(self, num_snippets: Optional[int] = None,
                 alpha: float = 0.7, gamma: float = 6,
                 random: bool = True, only_longer: bool = False) -> None:
        self.num_snippets = num_snippets
        self.only_longer = only_longer
        self.alpha = float(alpha)
        self.gamma = float(gamma)
        self.random = random

    def transform(self, results: dict) -> dict:
        if 'pseudo_segments' not in results:
            raise KeyError('DynamicSegmentSampling needs LoadPseudoSegments '
                           'earlier in the pipeline (video '
                           f'{results.get("video_name", "?")})')
        length = results['rgb'].shape[0]
        weights = dynamic_segment_weights(
            length, results['pseudo_segments'], results['pseudo_labels'],
            results['pseudo_scores'], float(results['snippet_duration']),
            self.alpha, self.gamma, results['pseudo_segment_delta'])
        positions = dynamic_positions(weights)
        if self.num_snippets is not None and not (
                self.only_longer and len(positions) <= self.num_snippets):
            pick = uniform_bin_indices(len(positions), self.num_snippets,
                                       self.random)
            positions = positions[pick]
        results['rgb'] = interpolate_rows(results['rgb'], positions)
        results['flow'] = interpolate_rows(results['flow'], positions)
        results['snippet_positions'] = np.clip(positions, 0, length - 1)
        results['snippet_indices'] = np.floor(
            results['snippet_positions']).astype(np.int64)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_snippets={self.num_snippets},'
                f' alpha={self.alpha}, gamma={self.gamma})')
