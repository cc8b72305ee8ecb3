"""mAP@tIoU metric for the MMEngine evaluator."""
import os.path as osp
from typing import Any, Optional, Sequence, Union

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log

from mmtrpn.registry import METRICS
from mmtrpn.structures.annotations import (detections_to_results,
                                           write_results_file)
from mmtrpn.structures.segments import seconds_to_snippets
from mmtrpn.structures.wstal_data_sample import to_detections
from ..functional import (THUMOS_TIOUS, check_tiou_thresholds,
                          format_map_table, summarize_map, temporal_map)

_PRED_KEYS = ('pred_segments', 'pred_labels', 'pred_scores')
_GT_KEYS = ('gt_segments', 'gt_labels')


def _to_snippet_grid(entry: dict) -> dict:
    """Segments of one video in whole snippets (CO2-Net/DELU scoring)."""
    grid = dict(entry)
    for key in ('pred_segments', 'gt_segments', 'ambiguous_segments'):
        if key in entry:
            grid[key] = seconds_to_snippets(entry[key],
                                            entry['snippet_duration'])
    return grid


@METRICS.register_module()
class TemporalMAPMetric(BaseMetric):
    """Temporal detection mAP, ActivityNet protocol (see
    :mod:`mmtrpn.evaluation.functional.temporal_map`).

    Ground truth travels with the predictions in ``self.results`` (one entry
    per video), so results gathered from several ranks score exactly;
    videos repeated by the distributed sampler's padding are counted once.

    Reported values are percentages (0-100), as in MMAction2 logs and paper
    tables: ``mAP@0.10`` ... per threshold, ``mAP_AVG`` over all thresholds,
    and ``mAP_AVG[0.1:0.5]`` / ``mAP_AVG[0.3:0.7]`` when those thresholds are
    all evaluated.

    Args:
        tiou_thresholds (array-like): tIoU thresholds. Defaults to
            ``np.linspace(0.1, 0.7, 7)`` (THUMOS-14).
        drop_ambiguous (bool): drop predictions that intersect an
            ``ambiguous_segments`` entry of their video (CO2-Net/DELU THUMOS
            variant). Defaults to False.
        blocked_videos (Sequence[str]): videos left out (predictions and
            ground truth).
        dump_results (str, optional): write the detections to this
            ActivityNet-style results JSON (atomically).
        snippet_grid (bool): score on the snippet grid as CO2-Net/DELU do:
            ground truth, predictions and ambiguous segments are divided by
            the video's ``snippet_duration`` and rounded to whole snippets
            before matching. Defaults to False (seconds, ActivityNet).
        collect_device (str): device used to gather results across ranks.
        prefix (str, optional): metric key prefix; defaults to ``wstal``.
    """
    default_prefix: Optional[str] = 'wstal'

    def __init__(self,
                 tiou_thresholds: Union[Sequence[float],
                                        np.ndarray] = THUMOS_TIOUS,
                 drop_ambiguous: bool = False,
                 blocked_videos: Sequence[str] = (),
                 dump_results: Optional[str] = None,
                 snippet_grid: bool = False,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.tiou_thresholds = check_tiou_thresholds(tiou_thresholds)
        self.drop_ambiguous = drop_ambiguous
        self.blocked_videos = [str(v) for v in blocked_videos]
        self.dump_results = dump_results
        self.snippet_grid = snippet_grid

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Keep predictions and ground truth of each video."""
        for sample in data_samples:
            dets = to_detections(sample)
            video = dets.get('video_name')
            if video is None:
                raise ValueError('TemporalMAPMetric: a data sample has no '
                                 '"video_name"')
            missing = [k for k in _PRED_KEYS if k not in dets]
            if missing:
                raise ValueError(f'TemporalMAPMetric: video {video!r} lacks '
                                 f'predictions {missing}')
            entry = {k: dets[k] for k in _PRED_KEYS}
            entry['video_name'] = str(video)
            # Without gt fields the video is unknown to the ground truth;
            # compute_metrics reports it.
            if all(k in dets for k in _GT_KEYS):
                entry.update({k: dets[k] for k in _GT_KEYS})
            entry['ambiguous_segments'] = dets.get('ambiguous_segments',
                                                   np.zeros((0, 2)))
            if self.snippet_grid:
                if dets.get('snippet_duration') is None:
                    raise ValueError(
                        f'TemporalMAPMetric: snippet_grid needs the '
                        f'snippet_duration of video {video!r}')
                entry['snippet_duration'] = float(dets['snippet_duration'])
            self.results.append(entry)

    def compute_metrics(self, results: list) -> dict:
        classes = (self.dataset_meta or {}).get('classes')
        if classes is None:
            raise ValueError('TemporalMAPMetric needs dataset_meta["classes"]')
        classes = list(classes)
        per_video = {}
        for entry in results:
            per_video.setdefault(entry['video_name'], entry)
        entries = list(per_video.values())
        for e in entries:
            if 'gt_segments' not in e and e['pred_labels'].size:
                raise ValueError(
                    f'TemporalMAPMetric: predictions for video '
                    f'{e["video_name"]!r}, which has no ground truth')

        # The dump keeps seconds; only the scoring uses the snippet grid.
        scored = ([_to_snippet_grid(e) for e in entries]
                  if self.snippet_grid else entries)

        def gather(key, names=False, shape2=False):
            parts = [
                np.full(len(e[key]), e['video_name'], dtype=object)
                if names else e[key] for e in scored if key in e
            ]
            if not parts:
                return np.zeros((0, 2) if shape2 else 0)
            out = np.concatenate(parts)
            return out.astype(str) if names else out

        amb_ids = amb_segs = None
        if self.drop_ambiguous:
            amb_ids = gather('ambiguous_segments', names=True)
            amb_segs = gather('ambiguous_segments', shape2=True)
        ap, mean_ap = temporal_map(
            gather('pred_labels', names=True),
            gather('pred_segments', shape2=True),
            gather('pred_labels'),
            gather('pred_scores'),
            gather('gt_labels', names=True),
            gather('gt_segments', shape2=True),
            gather('gt_labels'),
            len(classes),
            self.tiou_thresholds,
            ambiguous_video_ids=amb_ids,
            ambiguous_segments=amb_segs,
            blocked_videos=self.blocked_videos)

        logger = MMLogger.get_current_instance()
        print_log(
            f'Temporal mAP (%) on {len(entries)} videos:\n' +
            format_map_table(self.tiou_thresholds, mean_ap, ap, classes),
            logger=logger)
        if self.dump_results:
            self._dump(entries, classes)
        return summarize_map(self.tiou_thresholds, mean_ap)

    def _dump(self, entries, classes) -> None:
        results = {
            e['video_name']: detections_to_results(
                e['pred_segments'], e['pred_labels'], e['pred_scores'],
                classes)
            for e in entries
        }
        path = osp.abspath(self.dump_results)
        write_results_file(path, results)
        print_log(f'Detections written to {path}',
                  logger=MMLogger.get_current_instance())
