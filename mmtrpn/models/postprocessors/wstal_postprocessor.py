"""Multi-threshold proposal generation with outer-inner-contrastive scoring.

The standard W-TAL inference of W-TALC / CO2-Net / DELU, rewritten with array
operations: every threshold's runs are found at once, every (candidate, class)
score is one prefix-sum expression, and NMS runs for all kept classes in one
loop (the candidates are the same for every class, only the scores differ).
"""
from typing import Optional, Sequence, Union

import numpy as np

from mmtrpn.registry import TASK_UTILS
from mmtrpn.structures.segments import find_runs, snippets_to_seconds


def _empty_result() -> dict:
    return dict(
        segments=np.zeros((0, 2), dtype=np.float64),
        labels=np.zeros((0, ), dtype=np.int64),
        scores=np.zeros((0, ), dtype=np.float64))


def margin_length(lengths: np.ndarray, oic_margin: float) -> np.ndarray:
    """Outer margin per side: ``max(1, round(oic_margin * len))``, half up."""
    return np.maximum(1, np.floor(oic_margin * lengths + 0.5)).astype(np.int64)


@TASK_UTILS.register_module()
class WSTALPostProcessor:
    """Turn per-snippet class scores into scored, NMS-ed segments in seconds.

    Steps (design doc, "Inference (post-processing)"):

    1. Kept classes: ``video_scores >= class_threshold``, else the argmax.
    2. For each threshold, every maximal run of snippets with
       ``fg_curve > threshold`` (strict, as CO2-Net/DELU) is a candidate
       ``[s, e)`` for every kept class.
    3. OIC score: mean of ``cas[:, c]`` over ``[s, e)`` minus the mean over
       both outer margins pooled (each ``max(1, round(oic_margin * len))``
       snippets, rounding half up, clipped at the video ends; 0 when both are
       empty), plus ``oic_video_weight * video_scores[c]``. CO2-Net truncates
       the margin with ``int()`` and so has no margin for runs under 4
       snippets; we always contrast with at least one snippet.
    4. Per class Gaussian soft-NMS (``score *= exp(-iou^2 / sigma)``, nothing
       removed) or hard NMS (a box is dropped when its IoU with a kept one is
       ``> nms_iou``); IoU on the continuous intervals ``[s, e)`` (no ``+1``).
       Then the top ``max_per_video`` over all classes by score.
    5. Seconds: ``[s, e) * snippet_duration``, ends clipped to ``duration``.

    Args:
        class_threshold (float): Video score needed to keep a class.
        fg_thresholds (sequence of float): Thresholds on ``fg_curve``.
        oic_margin (float): Outer margin as a fraction of the run length.
        oic_video_weight (float): Weight of the video class score.
        nms (str | None): ``'soft'``, ``'hard'`` or None (no suppression).
        soft_nms_sigma (float): Gaussian soft-NMS sigma.
        nms_iou (float): Hard NMS IoU threshold.
        max_per_video (int | None): Cap on detections per video over all
            classes. CO2-Net keeps everything (soft-NMS removes nothing); a
            THUMOS video yields a few hundred candidates per class, most of
            them soft-NMS-decayed near-duplicates at the bottom of the
            ranking, so 200 keeps recall while bounding the metric's work.
            None disables the cap.
        min_length (int): Runs shorter than this many snippets are dropped.
        score_threshold (float | None): Drop final detections scoring below
            it. None (default, as CO2-Net/DELU) keeps negative OIC scores,
            which can only add recall at the bottom of the ranking.
        deduplicate (bool): Merge identical runs found at several thresholds
            before scoring. With hard NMS this changes nothing (a duplicate
            has IoU 1 and is suppressed). With soft-NMS, CO2-Net keeps each
            copy: it survives at ``exp(-1/sigma)`` (~0.036 for sigma 0.3) of
            the original's score and, once picked, decays its overlapping
            neighbours a second time, so low-ranked scores differ slightly.
    """

    # Largest candidate count whose N x N NMS table is precomputed (32 MiB).
    _MAX_PAIRWISE = 2048

    def __init__(self,
                 class_threshold: float = 0.2,
                 fg_thresholds: Union[Sequence[float], np.ndarray] = tuple(
                     np.linspace(0.1, 0.9, 10).tolist()),
                 oic_margin: float = 0.25,
                 oic_video_weight: float = 0.2,
                 nms: Optional[str] = 'soft',
                 soft_nms_sigma: float = 0.3,
                 nms_iou: float = 0.5,
                 max_per_video: Optional[int] = 200,
                 min_length: int = 1,
                 score_threshold: Optional[float] = None,
                 deduplicate: bool = True) -> None:
        if nms not in ('soft', 'hard', None):
            raise ValueError(
                f"nms must be 'soft', 'hard' or None, got {nms!r}")
        if soft_nms_sigma <= 0:
            raise ValueError('soft_nms_sigma must be positive')
        if max_per_video is not None and max_per_video < 1:
            raise ValueError('max_per_video must be >= 1 or None')
        self.class_threshold = float(class_threshold)
        self.fg_thresholds = np.atleast_1d(
            np.asarray(fg_thresholds, dtype=np.float64))
        self.oic_margin = float(oic_margin)
        self.oic_video_weight = float(oic_video_weight)
        self.nms = nms
        self.soft_nms_sigma = float(soft_nms_sigma)
        self.nms_iou = float(nms_iou)
        self.max_per_video = max_per_video
        self.min_length = max(1, int(min_length))
        self.score_threshold = score_threshold
        self.deduplicate = bool(deduplicate)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(class_threshold='
                f'{self.class_threshold}, nms={self.nms!r}, '
                f'max_per_video={self.max_per_video}, '
                f'deduplicate={self.deduplicate})')

    # -- steps ---------------------------------------------------------------
    def kept_classes(self, video_scores: np.ndarray) -> np.ndarray:
        kept = np.nonzero(video_scores >= self.class_threshold)[0]
        if kept.size == 0:
            kept = np.array([int(np.argmax(video_scores))])
        return kept.astype(np.int64)

    def candidates(self, fg_curve: np.ndarray, snippet_duration: float,
                   duration: Optional[float]):
        starts, ends = find_runs(fg_curve, self.fg_thresholds)
        if self.deduplicate and starts.size:
            key = starts * (fg_curve.shape[0] + 1) + ends
            _, first = np.unique(key, return_index=True)
            first.sort()  # keep first-found order for stable tie-breaking
            starts, ends = starts[first], ends[first]
        keep = (ends - starts) >= self.min_length
        if duration is not None:
            # Runs starting at or past the video end cannot match anything.
            keep &= snippets_to_seconds(starts, snippet_duration) < duration
        return starts[keep], ends[keep]

    def oic_scores(self, cas: np.ndarray, video_scores: np.ndarray,
                   starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """(N, C_kept) outer-inner-contrastive scores via prefix sums."""
        num_snippets = cas.shape[0]
        prefix = np.zeros((num_snippets + 1, cas.shape[1]), dtype=np.float64)
        np.cumsum(cas, axis=0, out=prefix[1:])
        lengths = ends - starts
        inner = (prefix[ends] - prefix[starts]) / lengths[:, None]
        margin = margin_length(lengths, self.oic_margin)
        left = np.maximum(0, starts - margin)
        right = np.minimum(num_snippets, ends + margin)
        outer_sum = (prefix[starts] - prefix[left]) + (
            prefix[right] - prefix[ends])
        outer_len = (starts - left) + (right - ends)
        outer = np.where(outer_len[:, None] > 0,
                         outer_sum / np.maximum(outer_len, 1)[:, None], 0.0)
        return inner - outer + self.oic_video_weight * video_scores[None, :]

    def _pairwise(self, starts, ends, rows=None):
        """IoU-derived NMS factors of ``rows`` (default all) vs all boxes.

        Soft: the Gaussian decay ``exp(-iou^2 / sigma)`` (always > 0). Hard:
        True where the box is suppressed (``iou > nms_iou``).
        """
        s = starts if rows is None else starts[rows]
        e = ends if rows is None else ends[rows]
        inter = np.minimum(e[:, None], ends[None, :]) - np.maximum(
            s[:, None], starts[None, :])
        np.maximum(inter, 0, out=inter)
        iou = inter / ((e - s)[:, None] + (ends - starts)[None, :] - inter)
        if self.nms == 'soft':
            return np.exp(-(iou * iou) / self.soft_nms_sigma)
        return iou > self.nms_iou

    def suppress(self, starts: np.ndarray, ends: np.ndarray,
                 scores: np.ndarray):
        """NMS for every class at once.

        ``scores`` is (C_kept, N). Returns (rows, cols, final scores) of the
        retained detections, ordered by class, then by pick order.
        """
        num_cls, num = scores.shape
        if self.nms is None:
            rows, cols = np.divmod(np.arange(num_cls * num), num)
            return rows, cols, scores.reshape(-1).copy()
        starts_f = starts.astype(np.float64)
        ends_f = ends.astype(np.float64)
        # The N x N factor matrix is shared by all classes (the candidates
        # are the same); past _MAX_PAIRWISE boxes rows are made per pick.
        table = self._pairwise(starts_f, ends_f) \
            if num <= self._MAX_PAIRWISE else None
        # Unpicked boxes hold their current score, picked/suppressed -inf;
        # -inf * a positive decay stays -inf, so one multiply updates both.
        masked = scores.astype(np.float64, copy=True)
        thr = self.score_threshold
        if thr is not None and thr >= 0:
            # Exact shortcut: a box starting below a non-negative threshold
            # is picked only after every box that ends above it, so it cannot
            # change any retained score.
            masked[masked < thr] = -np.inf
        cap = self.max_per_video
        picks = np.empty((num, num_cls), dtype=np.int64)
        picked = np.empty((num, num_cls), dtype=np.float64)
        rng = np.arange(num_cls)
        steps = 0
        for steps in range(1, num + 1):
            best = np.argmax(masked, axis=1)  # first max on ties
            top = masked[rng, best]
            picks[steps - 1] = best
            picked[steps - 1] = top
            if not np.isfinite(top).any():
                break  # every class is exhausted (this step is all -inf)
            masked[rng, best] = -np.inf
            factors = table[best] if table is not None else self._pairwise(
                starts_f, ends_f, best)
            if self.nms == 'soft':
                masked *= factors
            else:
                masked[factors] = -np.inf
            if cap is not None and steps * num_cls >= cap and \
                    steps % 8 == 0 and self._cap_reached(picked[:steps],
                                                         masked, cap):
                break
        picks, picked = picks[:steps].T, picked[:steps].T
        valid = np.isfinite(picked)  # row-major: class, then pick order
        rows = np.nonzero(valid)[0]
        return rows, picks[valid], picked[valid]

    @staticmethod
    def _cap_reached(picked, masked, cap):
        """True when no later pick can enter the top ``cap`` scores.

        A positive score only shrinks under decay, a negative one rises but
        stays below 0, so later picks end at most at max(current max, 0).
        """
        done = picked[np.isfinite(picked)]
        if done.size < cap:
            return False
        kth = np.partition(done, done.size - cap)[done.size - cap]
        return kth > max(float(masked.max()), 0.0)

    # -- entry point ---------------------------------------------------------
    def __call__(self,
                 cas: np.ndarray,
                 video_scores: np.ndarray,
                 fg_curve: np.ndarray,
                 snippet_duration: float,
                 duration: Optional[float] = None) -> dict:
        cas = np.asarray(cas, dtype=np.float64)
        video_scores = np.asarray(video_scores, dtype=np.float64).reshape(-1)
        fg_curve = np.asarray(fg_curve, dtype=np.float64).reshape(-1)
        if cas.ndim != 2 or cas.shape[0] != fg_curve.shape[0] or \
                cas.shape[1] != video_scores.shape[0]:
            raise ValueError(
                f'expected cas (T, C), video_scores (C,), fg_curve (T,); got '
                f'{cas.shape}, {video_scores.shape}, {fg_curve.shape}')
        if cas.shape[0] == 0 or cas.shape[1] == 0:
            return _empty_result()
        snippet_duration = float(snippet_duration)

        kept = self.kept_classes(video_scores)
        if duration is not None:
            duration = float(duration)
        starts, ends = self.candidates(fg_curve, snippet_duration, duration)
        if starts.size == 0:
            return _empty_result()

        scores = self.oic_scores(cas[:, kept], video_scores[kept], starts,
                                 ends)
        rows, cols, final = self.suppress(starts, ends, scores.T)
        if self.score_threshold is not None:
            keep = final >= self.score_threshold
            rows, cols, final = rows[keep], cols[keep], final[keep]
        order = np.argsort(-final, kind='stable')
        if self.max_per_video is not None:
            order = order[:self.max_per_video]
        rows, cols, final = rows[order], cols[order], final[order]

        segments = snippets_to_seconds(
            np.stack([starts[cols], ends[cols]], axis=1), snippet_duration)
        if duration is not None:
            segments = np.minimum(segments, duration)
        return dict(
            segments=segments,
            labels=kept[rows].astype(np.int64),
            scores=final.astype(np.float64))
