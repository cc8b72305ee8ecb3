"""Test-time hook writing the HTML report (``tools/test.py --report``).

In ``apis`` because the report scores (``evaluation``) and draws
(``visualization``); ``registry.py`` lists this module for hooks.
"""
import os.path as osp
from typing import List, Optional

import numpy as np
from mmengine.dist import all_gather_object, get_world_size, is_main_process
from mmengine.hooks import Hook
from mmengine.logging import MMLogger, print_log

from mmtrpn.evaluation.functional import THUMOS_TIOUS
from mmtrpn.registry import HOOKS
from mmtrpn.structures.wstal_data_sample import to_detections
from mmtrpn.visualization.curves_file import (SNIPPET_CURVES, VIDEO_CURVES,
                                              save_curves)
from .report import write_report

_KEPT = ('video_name', 'duration', 'snippet_duration', 'pred_segments',
         'pred_labels', 'pred_scores', 'gt_segments', 'gt_labels')


def curves_path(report_path: str) -> str:
    """Where the curves of a report go: ``report.html`` ->
    ``report_curves.npz``."""
    return osp.splitext(report_path)[0] + '_curves.npz'


def add_report_hook(cfg, report_path: Optional[str]):
    """Add the report hook to a test config (``tools/test.py --report``)."""
    if report_path is not None:
        cfg.custom_hooks = list(cfg.get('custom_hooks', [])) + [
            dict(type='WSTALReportHook', out_file=report_path)
        ]
    return cfg


def _entry(sample) -> dict:
    d = to_detections(sample)
    out = {k: d[k] for k in _KEPT if d.get(k) is not None}
    for key in SNIPPET_CURVES + VIDEO_CURVES:
        if d.get(key) is not None:
            out[key] = np.asarray(d[key], np.float32)
    return out


def entries_to_arrays(entries: List[dict], classes) -> tuple:
    """Ground truth and predictions of the collected videos as the dicts
    ``load_ground_truth`` and ``load_results_file`` return."""
    def cat(key, shape2=False, dtype=np.float64):
        parts = [np.asarray(e.get(key, []), dtype).reshape(
            (-1, 2) if shape2 else (-1, )) for e in entries]
        return np.concatenate(parts) if parts else np.zeros(
            (0, 2) if shape2 else (0, ), dtype)

    def names(key):
        return np.asarray([e['video_name'] for e in entries
                           for _ in range(len(e.get(key, [])))], dtype=str)

    gt = dict(classes=list(classes),
              videos=[e['video_name'] for e in entries],
              durations=np.asarray([float(e['duration']) for e in entries]),
              video_ids=names('gt_labels'),
              segments=cat('gt_segments', True),
              labels=cat('gt_labels', dtype=np.int64))
    pred = dict(video_ids=names('pred_labels'),
                segments=cat('pred_segments', True),
                labels=cat('pred_labels', dtype=np.int64),
                scores=cat('pred_scores'))
    return gt, pred


@HOOKS.register_module()
class WSTALReportHook(Hook):
    """Collect each test video's predictions, ground truth and curves and
    write ``out_file`` (HTML) and its curves file after the test.

    Args:
        out_file (str): the HTML report.
        max_videos (int, optional): video figures for the first videos only.
        diag_tiou (float): tIoU of the error diagnosis.
        bins (str): characteristic bins of the diagnosis.
    """
    priority = 'LOW'

    def __init__(self, out_file: str, max_videos: Optional[int] = None,
                 diag_tiou: float = 0.5, bins: str = 'thumos14') -> None:
        self.out_file = out_file
        self.max_videos = max_videos
        self.diag_tiou = diag_tiou
        self.bins = bins
        self._entries: List[dict] = []

    def before_test(self, runner) -> None:
        self._entries = []

    def after_test_iter(self, runner, batch_idx, data_batch=None,
                        outputs=None) -> None:
        self._entries.extend(_entry(s) for s in outputs or [])

    @staticmethod
    def _tious(runner):
        for metric in getattr(runner.test_evaluator, 'metrics', []):
            if hasattr(metric, 'tiou_thresholds'):
                return np.asarray(metric.tiou_thresholds)
        return THUMOS_TIOUS

    def after_test_epoch(self, runner, metrics=None) -> None:
        entries = self._entries
        if get_world_size() > 1:
            entries = [e for part in all_gather_object(entries) for e in part]
        if not is_main_process():
            return
        # The distributed sampler pads with repeated videos.
        first = {}
        for e in entries:
            first.setdefault(e['video_name'], e)
        entries = list(first.values())
        classes = runner.test_dataloader.dataset.metainfo['classes']
        gt, pred = entries_to_arrays(entries, classes)
        curves = curves_path(self.out_file)
        save_curves(curves, entries)
        write_report(
            self.out_file, gt=gt, pred=pred, tious=self._tious(runner),
            curves={e['video_name']: e for e in entries},
            run_metrics=dict(metrics or {}), diag_tiou=self.diag_tiou,
            bins=self.bins, max_videos=self.max_videos,
            title=f'Test report: {osp.basename(runner.work_dir)}',
            sources=dict(checkpoint=str(runner.cfg.get('load_from')),
                         curves=curves))
        print_log(f'Report written to {osp.abspath(self.out_file)}',
                  logger=MMLogger.get_current_instance())
